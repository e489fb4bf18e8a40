package sim

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// ELBv2 target groups of load-balanced services. ECS registers a task's
// instance and host port when the task runs; the target turns healthy after
// the health-check grace (never, for an "unhealthy-" image), drains for the
// deregistration delay when the task stops, and then disappears. The state
// is s.elb (elb_state.go; the snapshot saves it with ECS).

func init() {
	register(SvcELBv2, "DescribeTargetGroups", (*Sim).elbDescribeTargetGroups)
	register(SvcELBv2, "DescribeTargetHealth", (*Sim).elbDescribeTargetHealth)
}

// elbTargetGroup is a target group and its registered targets.
type elbTargetGroup struct {
	TG      elbtypes.TargetGroup  `json:"tg"`
	Targets map[string]*elbTarget `json:"targets"` // by "<instance>:<port>"
}

// elbTarget is one registered target.
type elbTarget struct {
	ID          string `json:"id"`
	Port        int32  `json:"port"`
	AZ          string `json:"az"`
	State       string `json:"state"` // initial, healthy, unhealthy, draining
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
	TaskArn     string `json:"taskArn"`
}

// elbNewTargetGroup creates a target group (name ≤ 32 characters) behind the
// cluster's load balancer.
func (s *Sim) elbNewTargetGroup(cluster, name string, port int32, targetType elbtypes.TargetTypeEnum) *elbTargetGroup {
	if len(name) > 32 {
		name = strings.TrimRight(name[:32], "-")
	}
	lb, ok := s.elb.LoadBalancers[cluster]
	if !ok {
		lbName := cluster
		if len(lbName) > 32 {
			lbName = strings.TrimRight(lbName[:32], "-")
		}
		lb = s.arn("elasticloadbalancing", "loadbalancer/app/"+lbName+"/"+s.randHex(16))
		s.elb.LoadBalancers[cluster] = lb
	}
	arn := s.arn("elasticloadbalancing", "targetgroup/"+name+"/"+s.randHex(16))
	tg := &elbTargetGroup{Targets: map[string]*elbTarget{}, TG: elbtypes.TargetGroup{
		TargetGroupArn: aws.String(arn), TargetGroupName: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(port), VpcId: aws.String("vpc-0a1b2c3d4e5f60718"), TargetType: targetType,
		HealthCheckEnabled: aws.Bool(true), HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(30), HealthCheckTimeoutSeconds: aws.Int32(5),
		HealthyThresholdCount: aws.Int32(5), UnhealthyThresholdCount: aws.Int32(2), Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")},
		LoadBalancerArns: []string{lb}, IpAddressType: elbtypes.TargetGroupIpAddressTypeEnumIpv4, ProtocolVersion: aws.String("HTTP1"),
	}}
	s.elb.TargetGroups[arn] = tg
	return tg
}

func targetKey(id string, port int32) string { return id + ":" + strconv.Itoa(int(port)) }

// ecsTargetFor finds the target group of a service task and the host port
// to register (the mapped port of the load-balanced container).
func (s *Sim) ecsTargetFor(svc *ecsService, t *ecsTask) (*elbTargetGroup, int32) {
	if len(svc.Svc.LoadBalancers) == 0 {
		return nil, 0
	}
	lb := svc.Svc.LoadBalancers[0]
	tg := s.elb.TargetGroups[aws.ToString(lb.TargetGroupArn)]
	if tg == nil {
		return nil, 0
	}
	for _, c := range t.Task.Containers {
		if aws.ToString(c.Name) != aws.ToString(lb.ContainerName) {
			continue
		}
		if t.PrivateIP != "" {
			return tg, aws.ToInt32(lb.ContainerPort) // awsvpc: the task's own address
		}
		for _, nb := range c.NetworkBindings {
			if aws.ToInt32(nb.ContainerPort) == aws.ToInt32(lb.ContainerPort) {
				return tg, aws.ToInt32(nb.HostPort)
			}
		}
	}
	return nil, 0
}

func (tg *elbTargetGroup) target(t *ecsTask) *elbTarget {
	if tg == nil || t.TargetKey == "" {
		return nil
	}
	if tgt := tg.Targets[t.TargetKey]; tgt != nil && tgt.TaskArn == aws.ToString(t.Task.TaskArn) {
		return tgt
	}
	return nil
}

func (s *Sim) elbRegister(tg *elbTargetGroup, t *ecsTask) {
	// An ip target is the task's own address (a Fargate task has no instance).
	id, az := t.PrivateIP, aws.ToString(t.Task.AvailabilityZone)
	if tg.TG.TargetType != elbtypes.TargetTypeEnumIp {
		in := s.ecs.Instances[t.Instance]
		if in == nil {
			return
		}
		id, az = aws.ToString(in.CI.Ec2InstanceId), in.AZ
	}
	t.TargetKey = targetKey(id, t.TargetPort)
	tg.Targets[t.TargetKey] = &elbTarget{
		ID: id, Port: t.TargetPort, AZ: az, State: "initial", TaskArn: aws.ToString(t.Task.TaskArn),
		Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress",
	}
}

func (tg *elbTargetGroup) deregister(t *ecsTask) {
	if tg.target(t) != nil {
		delete(tg.Targets, t.TargetKey)
	}
}

func (s *Sim) elbDescribeTargetGroups(in *elb.DescribeTargetGroupsInput) (*elb.DescribeTargetGroupsOutput, error) {
	n := 0
	if in.LoadBalancerArn != nil {
		n++
	}
	if len(in.Names) > 0 {
		n++
	}
	if len(in.TargetGroupArns) > 0 {
		n++
	}
	if n > 1 {
		return nil, apiErr("ValidationError", "Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time")
	}
	var list []*elbTargetGroup
	var err error
	switch {
	case len(in.TargetGroupArns) > 0:
		list, err = s.elbTargetGroupsByARN(in.TargetGroupArns)
	case len(in.Names) > 0:
		list, err = s.elbTargetGroupsByName(in.Names)
	default:
		list, err = s.elbTargetGroupsOf(in.LoadBalancerArn)
	}
	if err != nil {
		return nil, err
	}
	size := s.PageSize()
	if in.PageSize != nil {
		if *in.PageSize < 1 || *in.PageSize > 400 {
			return nil, apiErr("ValidationError", "1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", *in.PageSize)
		}
		if int(*in.PageSize) < size {
			size = int(*in.PageSize)
		}
	}
	start, err := decodeToken(in.Marker)
	if err != nil || start > len(list) {
		return nil, apiErr("ValidationError", "Invalid Marker")
	}
	out := &elb.DescribeTargetGroupsOutput{TargetGroups: []elbtypes.TargetGroup{}}
	end := start + size
	if end < len(list) {
		out.NextMarker = encodeToken(end)
	} else {
		end = len(list)
	}
	for _, tg := range list[start:end] {
		v := tg.TG
		v.LoadBalancerArns = append([]string{}, tg.TG.LoadBalancerArns...)
		out.TargetGroups = append(out.TargetGroups, v)
	}
	return out, nil
}

// elbTargetGroupsByARN is the named target groups in the order named.
func (s *Sim) elbTargetGroupsByARN(arns []string) ([]*elbTargetGroup, error) {
	var list []*elbTargetGroup
	for _, a := range arns {
		tg := s.elb.TargetGroups[a]
		if tg == nil {
			return nil, apiErr("TargetGroupNotFound", "One or more target groups not found")
		}
		list = append(list, tg)
	}
	return list, nil
}

// elbTargetGroupsByName is the named target groups in the order named
// (for a name held twice, the one with the greatest ARN).
func (s *Sim) elbTargetGroupsByName(names []string) ([]*elbTargetGroup, error) {
	var list []*elbTargetGroup
	for _, name := range names {
		var found *elbTargetGroup
		for _, a := range sortedKeys(s.elb.TargetGroups) {
			if aws.ToString(s.elb.TargetGroups[a].TG.TargetGroupName) == name {
				found = s.elb.TargetGroups[a]
			}
		}
		if found == nil {
			return nil, apiErr("TargetGroupNotFound", "One or more target groups not found")
		}
		list = append(list, found)
	}
	return list, nil
}

func (s *Sim) elbLoadBalancerExists(arn string) bool {
	for _, l := range s.elb.LoadBalancers {
		if l == arn {
			return true
		}
	}
	return false
}

// elbTargetGroupsOf is every target group (lb nil) or those of one load
// balancer, which must exist, by name.
func (s *Sim) elbTargetGroupsOf(lb *string) ([]*elbTargetGroup, error) {
	var list []*elbTargetGroup
	for _, a := range sortedKeys(s.elb.TargetGroups) {
		tg := s.elb.TargetGroups[a]
		if lb == nil || slices.Contains(tg.TG.LoadBalancerArns, *lb) {
			list = append(list, tg)
		}
	}
	if lb != nil && !s.elbLoadBalancerExists(*lb) {
		return nil, apiErr("LoadBalancerNotFound", "One or more load balancers not found")
	}
	sort.SliceStable(list, func(i, j int) bool {
		return aws.ToString(list[i].TG.TargetGroupName) < aws.ToString(list[j].TG.TargetGroupName)
	})
	return list, nil
}

func (s *Sim) elbDescribeTargetHealth(in *elb.DescribeTargetHealthInput) (*elb.DescribeTargetHealthOutput, error) {
	tg := s.elb.TargetGroups[aws.ToString(in.TargetGroupArn)]
	if tg == nil {
		return nil, apiErr("TargetGroupNotFound", "Target groups '%s' not found", aws.ToString(in.TargetGroupArn))
	}
	out := &elb.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbtypes.TargetHealthDescription{}}
	desc := func(tgt *elbTarget) elbtypes.TargetHealthDescription {
		h := &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnum(tgt.State)}
		if tgt.Reason != "" {
			h.Reason = elbtypes.TargetHealthReasonEnum(tgt.Reason)
			h.Description = aws.String(tgt.Description)
		}
		return elbtypes.TargetHealthDescription{
			Target:          &elbtypes.TargetDescription{Id: aws.String(tgt.ID), Port: aws.Int32(tgt.Port)},
			HealthCheckPort: aws.String(strconv.Itoa(int(tgt.Port))),
			TargetHealth:    h,
		}
	}
	if len(in.Targets) > 0 {
		for _, want := range in.Targets {
			port := aws.ToInt32(want.Port)
			var found *elbTarget
			for _, k := range sortedKeys(tg.Targets) {
				tgt := tg.Targets[k]
				if tgt.ID == aws.ToString(want.Id) && (port == 0 || port == tgt.Port) {
					found = tgt
					out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, desc(tgt))
				}
			}
			if found == nil {
				if port == 0 {
					port = aws.ToInt32(tg.TG.Port)
				}
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
					Target:          &elbtypes.TargetDescription{Id: want.Id, Port: aws.Int32(port)},
					HealthCheckPort: aws.String(strconv.Itoa(int(port))),
					TargetHealth: &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumUnused,
						Reason: elbtypes.TargetHealthReasonEnumNotRegistered, Description: aws.String("Target is not registered to the target group")},
				})
			}
		}
		return out, nil
	}
	for _, k := range sortedKeys(tg.Targets) {
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, desc(tg.Targets[k]))
	}
	return out, nil
}
