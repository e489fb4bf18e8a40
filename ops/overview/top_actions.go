package overview

import (
	"context"
	"ecsctl/ops"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The dashboard's actions that no other command owns yet: a forced new
// deployment and an instance's drain / activate. Scaling goes through
// ServiceScaler and rollback through deploy.Deployer.Rollback.

// TopActionECS is the part of ECS the dashboard's own actions call.
type TopActionECS interface {
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	UpdateContainerInstancesState(ctx context.Context, in *ecs.UpdateContainerInstancesStateInput, optFns ...func(*ecs.Options)) (*ecs.UpdateContainerInstancesStateOutput, error)
}

// ForceNewDeployment starts a new deployment of the service's current task
// definition (fresh tasks, same revision) and returns its deployment id.
func ForceNewDeployment(ctx context.Context, api TopActionECS, cluster, service string) (string, error) {
	if cluster == "" || service == "" {
		return "", ops.Inputf("force new deployment: cluster and service are needed")
	}
	out, err := api.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), ForceNewDeployment: true})
	if err != nil {
		return "", fmt.Errorf("force new deployment of %s/%s: %w", cluster, service, overviewNotFound(ctx, err, "service", cluster+"/"+service))
	}
	if out.Service != nil {
		if d := ops.PrimaryDeployment(*out.Service); d != nil {
			return aws.ToString(d.Id), nil
		}
	}
	return "", nil
}

// Container instance states SetInstanceState accepts.
const (
	InstanceActive   = "ACTIVE"
	InstanceDraining = "DRAINING"
)

// SetInstanceState drains (DRAINING) or activates (ACTIVE) container
// instances, at most 10 per UpdateContainerInstancesState call as ECS allows.
func SetInstanceState(ctx context.Context, api TopActionECS, cluster string, containerInstances []string, state string) error {
	if state != InstanceActive && state != InstanceDraining {
		return ops.Inputf("invalid instance state %q: want ACTIVE or DRAINING", state)
	}
	if cluster == "" || len(containerInstances) == 0 {
		return ops.Inputf("set instance state: a cluster and at least one container instance are needed")
	}
	for _, chunk := range overviewChunks(containerInstances, 10) {
		out, err := api.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{
			Cluster: aws.String(cluster), ContainerInstances: chunk, Status: types.ContainerInstanceStatus(state),
		})
		if err != nil {
			return fmt.Errorf("set container instances %s… of %s to %s: %w", overviewShortName(chunk[0]), cluster, state, overviewNotFound(ctx, err, "cluster", cluster))
		}
		for _, f := range out.Failures {
			return fmt.Errorf("set container instance %s of %s to %s: %s %s", overviewShortName(aws.ToString(f.Arn)), cluster, state, aws.ToString(f.Reason), aws.ToString(f.Detail))
		}
	}
	return nil
}
