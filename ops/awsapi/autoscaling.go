package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// GroupsPerCall bounds the names of one DescribeAutoScalingGroups call:
// "By default, you can only specify up to 50 names"
// (DescribeAutoScalingGroupsInput.AutoScalingGroupNames, service/autoscaling
// v1.80); MaxRecords (default 50, at most 100) sizes the pages.
const GroupsPerCall = 50

// autoscalingAPI is the part of the Auto Scaling client the access layer calls.
type autoscalingAPI interface {
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
}

// AutoScaling reads Auto Scaling in batches and pages.
type AutoScaling struct{ api autoscalingAPI }

// NewAutoScaling wraps an Auto Scaling client (an *autoscaling.Client, or a
// test's fake).
func NewAutoScaling(api autoscalingAPI) *AutoScaling { return &AutoScaling{api: api} }

// AllGroups describes every Auto Scaling group of the account and region,
// every page.
func (c *AutoScaling) AllGroups(ctx context.Context) ([]types.AutoScalingGroup, error) {
	var out []types.AutoScalingGroup
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(c.api, &autoscaling.DescribeAutoScalingGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe auto scaling groups: %w", err)
		}
		out = append(out, page.AutoScalingGroups...)
	}
	return out, nil
}

// Groups describes the named groups, GroupsPerCall names a call, every
// page, one per name in the order of names. Auto Scaling answers a name it
// does not know with nothing (no error): the first such name is a
// *NotFoundError.
func (c *AutoScaling) Groups(ctx context.Context, names []string) ([]types.AutoScalingGroup, error) {
	found := map[string]types.AutoScalingGroup{}
	for _, batch := range chunks(names, GroupsPerCall) {
		p := autoscaling.NewDescribeAutoScalingGroupsPaginator(c.api, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: batch})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe auto scaling groups %s…: %w", batch[0], err)
			}
			for _, g := range page.AutoScalingGroups {
				found[aws.ToString(g.AutoScalingGroupName)] = g
			}
		}
	}
	out := make([]types.AutoScalingGroup, len(names))
	for i, n := range names {
		g, ok := found[n]
		if !ok {
			return nil, NotFound(ctx, "auto scaling group", n)
		}
		out[i] = g
	}
	return out, nil
}
