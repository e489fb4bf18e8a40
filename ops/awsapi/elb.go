package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// elbAPI is the part of the Elastic Load Balancing v2 client the access
// layer calls.
type elbAPI interface {
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, optFns ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// ELB reads Elastic Load Balancing v2.
type ELB struct{ api elbAPI }

// NewELB wraps an ELBv2 client (an *elasticloadbalancingv2.Client, or a
// test's fake).
func NewELB(api elbAPI) *ELB { return &ELB{api: api} }

// TargetHealth describes the health of every target registered in a
// target group. DescribeTargetHealth takes one target group and has no
// pages (no Marker in DescribeTargetHealthOutput, service/
// elasticloadbalancingv2 v1.63): one call per group. A group ELB does not
// know (TargetGroupNotFound) is a *NotFoundError.
func (c *ELB) TargetHealth(ctx context.Context, targetGroupARN string) ([]types.TargetHealthDescription, error) {
	out, err := c.api.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		if ErrorCode(err) == "TargetGroupNotFound" {
			return nil, NotFound(ctx, "target group", targetGroupARN)
		}
		return nil, fmt.Errorf("describe target health %s: %w", targetGroupARN, err)
	}
	return out.TargetHealthDescriptions, nil
}
