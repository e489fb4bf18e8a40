package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// The Auto Scaling calls of a rotation or a cluster scale beyond the
// group reads of AutoScaling, as package functions over one-call
// interfaces (a feature's narrow interface holds only what it calls).

// Limits of service/autoscaling v1.80: DescribeAutoScalingInstancesInput.
// InstanceIds "Array Members: Maximum number of 50 items";
// SetInstanceProtectionInput.InstanceIds "You can specify up to 50
// instances".
const (
	GroupInstancesPerCall = 50
	ProtectionPerCall     = 50
)

// GroupInstances describes the Auto Scaling instances of ids,
// GroupInstancesPerCall a call, every page. An id Auto Scaling does not
// manage "is ignored with no error": it is not in the answer.
func GroupInstances(ctx context.Context, api autoscaling.DescribeAutoScalingInstancesAPIClient, ids []string) ([]types.AutoScalingInstanceDetails, error) {
	var out []types.AutoScalingInstanceDetails
	for _, batch := range chunks(ids, GroupInstancesPerCall) {
		p := autoscaling.NewDescribeAutoScalingInstancesPaginator(api, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: batch})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, fmt.Errorf("describe auto scaling instances %s…: %w", batch[0], err)
			}
			out = append(out, page.AutoScalingInstances...)
		}
	}
	return out, nil
}

// InstanceProtectionAPI sets instances' scale-in protection.
type InstanceProtectionAPI interface {
	SetInstanceProtection(ctx context.Context, in *autoscaling.SetInstanceProtectionInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SetInstanceProtectionOutput, error)
}

// SetInstanceProtection sets or removes the scale-in protection of ids in
// group, ProtectionPerCall a call, in order; done (when not nil) gets each
// call's ids once it succeeded. The first refused call is returned as it
// is (callers read Auto Scaling's message: an instance that left the
// group), and no further call is made.
func SetInstanceProtection(ctx context.Context, api InstanceProtectionAPI, group string, ids []string, protect bool, done func(batch []string)) error {
	for _, batch := range chunks(ids, ProtectionPerCall) {
		if _, err := api.SetInstanceProtection(ctx, &autoscaling.SetInstanceProtectionInput{AutoScalingGroupName: aws.String(group),
			InstanceIds: batch, ProtectedFromScaleIn: aws.Bool(protect)}); err != nil {
			return err
		}
		if done != nil {
			done(batch)
		}
	}
	return nil
}

// WarmPoolInstances lists the instances of group's warm pool, every page
// (none when the group has no pool).
func WarmPoolInstances(ctx context.Context, api autoscaling.DescribeWarmPoolAPIClient, group string) ([]types.Instance, error) {
	var out []types.Instance
	p := autoscaling.NewDescribeWarmPoolPaginator(api, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe warm pool of %s: %w", group, err)
		}
		out = append(out, page.Instances...)
	}
	return out, nil
}

// ScalingPolicies lists group's scaling policies, every page.
func ScalingPolicies(ctx context.Context, api autoscaling.DescribePoliciesAPIClient, group string) ([]types.ScalingPolicy, error) {
	var out []types.ScalingPolicy
	p := autoscaling.NewDescribePoliciesPaginator(api, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe scaling policies of %s: %w", group, err)
		}
		out = append(out, page.ScalingPolicies...)
	}
	return out, nil
}

// ScheduledActions lists group's scheduled actions, every page.
func ScheduledActions(ctx context.Context, api autoscaling.DescribeScheduledActionsAPIClient, group string) ([]types.ScheduledUpdateGroupAction, error) {
	var out []types.ScheduledUpdateGroupAction
	p := autoscaling.NewDescribeScheduledActionsPaginator(api, &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe scheduled actions of %s: %w", group, err)
		}
		out = append(out, page.ScheduledUpdateGroupActions...)
	}
	return out, nil
}
