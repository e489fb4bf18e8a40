package sim

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// DescribeTargetGroupAttributes answers with the attributes an
// application-load-balancer target group has by default (ELBv2 API
// reference, "Target group attributes"), except that the deregistration
// delay is the sandbox's own (Timings.DeregistrationDelay, default 300 s as
// on AWS), because that is how long its targets really drain.
func init() {
	register(SvcELBv2, "DescribeTargetGroupAttributes", (*Sim).elbDescribeTargetGroupAttributes)
}

func (s *Sim) elbDescribeTargetGroupAttributes(in *elb.DescribeTargetGroupAttributesInput) (*elb.DescribeTargetGroupAttributesOutput, error) {
	tg := s.elb.TargetGroups[aws.ToString(in.TargetGroupArn)]
	if tg == nil {
		return nil, apiErr("TargetGroupNotFound", "One or more target groups not found")
	}
	attr := func(k, v string) elbtypes.TargetGroupAttribute {
		return elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(v)}
	}
	return &elb.DescribeTargetGroupAttributesOutput{Attributes: []elbtypes.TargetGroupAttribute{
		attr("deregistration_delay.timeout_seconds", strconv.Itoa(int(s.Timings.DeregistrationDelay.D().Seconds()))),
		attr("deregistration_delay.connection_termination.enabled", "false"),
		attr("load_balancing.algorithm.type", "round_robin"),
		attr("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
		attr("slow_start.duration_seconds", "0"),
		attr("stickiness.enabled", "false"),
		attr("stickiness.type", "lb_cookie"),
	}}, nil
}
