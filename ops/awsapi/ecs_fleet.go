package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The ECS calls of a fleet change that a feature's narrow interface may
// hold without the rest of ecsAPI are package functions over a one-call
// interface, as the SDK's paginators take one.

// Limits of service/ecs v1.104: UpdateContainerInstancesStateInput.
// ContainerInstances "A list of up to 10 container instance IDs or full ARN
// entries"; DescribeCapacityProvidersInput.CapacityProviders "Up to 100
// capacity providers can be described in an action", in pages of "up to
// 10 results and a nextToken value if applicable" (MaxResults).
const (
	ContainerInstanceStatesPerCall = 10
	CapacityProvidersPerCall       = 100
)

// ContainerInstanceStateAPI sets container instances' state.
type ContainerInstanceStateAPI interface {
	UpdateContainerInstancesState(ctx context.Context, in *ecs.UpdateContainerInstancesStateInput, optFns ...func(*ecs.Options)) (*ecs.UpdateContainerInstancesStateOutput, error)
}

// SetContainerInstancesState sets the container instances arns of cluster
// to status, ContainerInstanceStatesPerCall a call, in order. After each
// call, done (when not nil) gets the call's ARNs and the failures ECS
// reported for them (an instance it did not change); done returns false to
// stop before the next call. A refused call is an error naming the
// cluster, and no further call is made.
func SetContainerInstancesState(ctx context.Context, api ContainerInstanceStateAPI, cluster string, arns []string, status types.ContainerInstanceStatus,
	done func(batch []string, failures []types.Failure) bool) error {
	for _, batch := range chunks(arns, ContainerInstanceStatesPerCall) {
		out, err := api.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{
			Cluster: aws.String(cluster), ContainerInstances: batch, Status: status})
		if err != nil {
			return fmt.Errorf("set container instances %s in cluster %s: %w", status, cluster, err)
		}
		if done != nil && !done(batch, out.Failures) {
			return nil
		}
	}
	return nil
}

// CapacityProvidersAPI describes capacity providers.
type CapacityProvidersAPI interface {
	DescribeCapacityProviders(ctx context.Context, in *ecs.DescribeCapacityProvidersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeCapacityProvidersOutput, error)
}

// DescribeCapacityProviders describes the named capacity providers,
// CapacityProvidersPerCall names a call, every page of each (the SDK has
// no paginator for it). A provider ECS does not know comes back in
// failures[] and is left out.
func DescribeCapacityProviders(ctx context.Context, api CapacityProvidersAPI, names []string) ([]types.CapacityProvider, error) {
	var out []types.CapacityProvider
	for _, batch := range chunks(names, CapacityProvidersPerCall) {
		in := &ecs.DescribeCapacityProvidersInput{CapacityProviders: batch}
		for {
			page, err := api.DescribeCapacityProviders(ctx, in)
			if err != nil {
				return out, fmt.Errorf("describe capacity providers %s…: %w", batch[0], err)
			}
			out = append(out, page.CapacityProviders...)
			if aws.ToString(page.NextToken) == "" {
				break
			}
			in.NextToken = page.NextToken
		}
	}
	return out, nil
}
