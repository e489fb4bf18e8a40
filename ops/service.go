package ops

import (
	"context"
	"ecsctl/fmtx"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// What more than one feature reads off a service: its deployment
// controller and strategy, its PRIMARY deployment or task set, its
// ongoing service deployment.

// Deployment controllers and strategies.
//
// ECS has three deployment controllers (DeploymentController in the ECS API
// reference): ECS, CODE_DEPLOY and EXTERNAL. Under the last two the task
// definition changes through CodeDeploy or the caller's task sets, and
// UpdateService refuses a new one, so ecsctl refuses to deploy or roll them
// back before it registers anything.
//
// Under the ECS controller, deploymentConfiguration.strategy BLUE_GREEN,
// LINEAR and CANARY run the new revision next to the old one, shift
// traffic, and keep both through bakeTimeInMinutes after the production
// shift. DescribeServices shows two deployments the whole time; the
// verdict lives in the service deployment (ListServiceDeployments,
// DescribeServiceDeployments: status SUCCESSFUL, ROLLBACK_*, STOPPED, and
// the lifecycleStage). A rollback in the middle of a traffic shift is
// StopServiceDeployment with stopType ROLLBACK, not another UpdateService.

// ServiceDeploymentAPI is the service deployment part of ECS. Deployer and
// the overviews use it when their ECS client has it (the SDK client does).
type ServiceDeploymentAPI interface {
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
	StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentInput, optFns ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error)
}

// ServiceController is the service's deployment controller (ECS when unset).
func ServiceController(s types.Service) string {
	if s.DeploymentController != nil && s.DeploymentController.Type != "" {
		return string(s.DeploymentController.Type)
	}
	return string(types.DeploymentControllerTypeEcs)
}

// ServiceStrategy is the ECS controller's deployment strategy (ROLLING when
// unset); "" for the other controllers.
func ServiceStrategy(s types.Service) string {
	if ServiceController(s) != string(types.DeploymentControllerTypeEcs) {
		return ""
	}
	if dc := s.DeploymentConfiguration; dc != nil && dc.Strategy != "" {
		return string(dc.Strategy)
	}
	return string(types.DeploymentStrategyRolling)
}

// ShiftingStrategy: the strategy runs both revisions and shifts traffic.
func ShiftingStrategy(strategy string) bool {
	switch types.DeploymentStrategy(strategy) {
	case types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary:
		return true
	}
	return false
}

// DeployKind names what is not the default (ECS controller, rolling):
// CODE_DEPLOY, EXTERNAL, BLUE_GREEN, LINEAR, CANARY; "" otherwise.
func DeployKind(controller, strategy string) string {
	if controller != "" && controller != string(types.DeploymentControllerTypeEcs) {
		return controller
	}
	if strategy != "" && strategy != string(types.DeploymentStrategyRolling) {
		return strategy
	}
	return ""
}

// PrimaryDeployment is the service's PRIMARY deployment, or nil.
func PrimaryDeployment(s types.Service) *types.Deployment {
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Status) == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}

// ShortTaskDef is a task definition ARN's family:revision.
func ShortTaskDef(arn string) string { return fmtx.ShortARN(arn) }
