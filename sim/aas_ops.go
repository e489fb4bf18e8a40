package sim

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func init() {
	register(SvcAppAutoScaling, "DescribeScalableTargets", (*Sim).aasDescribeScalableTargets)
	register(SvcAppAutoScaling, "RegisterScalableTarget", (*Sim).aasRegisterScalableTarget)
}

func aasInvalid(format string, args ...any) *APIError {
	return apiErr("ValidationException", format, args...)
}

func validNamespace(ns aastypes.ServiceNamespace) bool {
	for _, v := range ns.Values() {
		if v == ns {
			return true
		}
	}
	return false
}

func (s *Sim) aasTarget(t *ScalableTargetData) aastypes.ScalableTarget {
	return aastypes.ScalableTarget{
		ServiceNamespace:  aastypes.ServiceNamespaceEcs,
		ResourceId:        aws.String(t.ResourceID),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity:       aws.Int32(t.Min),
		MaxCapacity:       aws.Int32(t.Max),
		RoleARN:           aws.String(t.RoleARN),
		CreationTime:      aws.Time(t.CreationTime),
		ScalableTargetARN: aws.String(s.arn("application-autoscaling", "scalable-target/"+t.ID)),
		SuspendedState: &aastypes.SuspendedState{
			DynamicScalingInSuspended:  aws.Bool(t.SuspendIn),
			DynamicScalingOutSuspended: aws.Bool(t.SuspendOut),
			ScheduledScalingSuspended:  aws.Bool(t.SuspendSched),
		},
	}
}

func (s *Sim) aasDescribeScalableTargets(in *applicationautoscaling.DescribeScalableTargetsInput) (*applicationautoscaling.DescribeScalableTargetsOutput, error) {
	if in.ServiceNamespace == "" {
		return nil, aasInvalid("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	if !validNamespace(in.ServiceNamespace) {
		return nil, aasInvalid("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set", in.ServiceNamespace)
	}
	if len(in.ResourceIds) > 50 {
		return nil, aasInvalid("1 validation error detected: Value at 'resourceIds' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, aasInvalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50", *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	limit = min(limit, s.PageSize())
	out := &applicationautoscaling.DescribeScalableTargetsOutput{ScalableTargets: []aastypes.ScalableTarget{}}
	if in.ServiceNamespace != aastypes.ServiceNamespaceEcs ||
		(in.ScalableDimension != "" && in.ScalableDimension != aastypes.ScalableDimensionECSServiceDesiredCount) {
		return out, nil
	}
	want := map[string]bool{}
	for _, id := range in.ResourceIds {
		want[id] = true
	}
	var ids []string
	for id := range s.aas.Targets {
		if len(want) == 0 || want[id] {
			ids = append(ids, id)
		}
	}
	page, next, ok := pageOfKeys(ids, in.NextToken, limit)
	if !ok {
		return nil, apiErr("InvalidNextTokenException", "Invalid token")
	}
	out.NextToken = next
	for _, id := range page {
		out.ScalableTargets = append(out.ScalableTargets, s.aasTarget(s.aas.Targets[id]))
	}
	return out, nil
}

func (s *Sim) aasRegisterScalableTarget(in *applicationautoscaling.RegisterScalableTargetInput) (*applicationautoscaling.RegisterScalableTargetOutput, error) {
	if in.ServiceNamespace != aastypes.ServiceNamespaceEcs || in.ScalableDimension != aastypes.ScalableDimensionECSServiceDesiredCount {
		return nil, aasInvalid("The sandbox supports only scalable targets with service namespace ecs and scalable dimension ecs:service:DesiredCount (got %q, %q).", in.ServiceNamespace, in.ScalableDimension)
	}
	id := aws.ToString(in.ResourceId)
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return nil, aasInvalid("Unsupported resource ID %s: expected service/<cluster>/<service>.", id)
	}
	t := s.aas.Targets[id]
	if t == nil && (in.MinCapacity == nil || in.MaxCapacity == nil) {
		return nil, aasInvalid("MinCapacity and MaxCapacity are required for registering a new scalable target.")
	}
	lo, hi := int32(0), int32(0)
	if t != nil {
		lo, hi = t.Min, t.Max
	}
	if in.MinCapacity != nil {
		lo = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		hi = *in.MaxCapacity
	}
	if lo < 0 || hi < 0 {
		return nil, aasInvalid("Capacity cannot be negative.")
	}
	if lo > hi {
		return nil, aasInvalid("Minimum capacity cannot be greater than maximum capacity.")
	}
	t = s.aasPut(id, lo, hi)
	if r := aws.ToString(in.RoleARN); r != "" {
		t.RoleARN = r
	}
	if ss := in.SuspendedState; ss != nil {
		if ss.DynamicScalingInSuspended != nil {
			t.SuspendIn = *ss.DynamicScalingInSuspended
		}
		if ss.DynamicScalingOutSuspended != nil {
			t.SuspendOut = *ss.DynamicScalingOutSuspended
		}
		if ss.ScheduledScalingSuspended != nil {
			t.SuspendSched = *ss.ScheduledScalingSuspended
		}
	}
	return &applicationautoscaling.RegisterScalableTargetOutput{
		ScalableTargetARN: aws.String(s.arn("application-autoscaling", "scalable-target/"+t.ID)),
	}, nil
}
