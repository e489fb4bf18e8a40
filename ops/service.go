package ops

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

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

func primaryDeployment(s types.Service) *types.Deployment { return PrimaryDeployment(s) }

// ShortTaskDef is a task definition ARN's family:revision.
func ShortTaskDef(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// taskSetInfos shows the task sets of a CODE_DEPLOY or EXTERNAL service as
// its deployments (DescribeServices lists them in taskSets instead).
func taskSetInfos(s types.Service) []DeploymentInfo {
	var out []DeploymentInfo
	for _, ts := range s.TaskSets {
		di := DeploymentInfo{
			ID: aws.ToString(ts.Id), Status: aws.ToString(ts.Status), RolloutState: string(ts.StabilityStatus),
			TaskDefinition: overviewTaskDefName(aws.ToString(ts.TaskDefinition)),
			Desired:        int(ts.ComputedDesiredCount), Running: int(ts.RunningCount), Pending: int(ts.PendingCount),
		}
		if ts.ExternalId != nil {
			di.RolloutReason = "task set of " + aws.ToString(ts.ExternalId)
		}
		if ts.CreatedAt != nil {
			di.CreatedAt = ts.CreatedAt.UTC()
		}
		if ts.UpdatedAt != nil {
			di.UpdatedAt = ts.UpdatedAt.UTC()
		}
		out = append(out, di)
	}
	return out
}

// primaryTaskSetCreated is when the PRIMARY task set of a CODE_DEPLOY or
// EXTERNAL service was created (its "deployed at"), or nil.
func primaryTaskSetCreated(s types.Service) *time.Time {
	for _, ts := range s.TaskSets {
		if aws.ToString(ts.Status) == "PRIMARY" {
			return ts.CreatedAt
		}
	}
	return nil
}

// ServiceDeploymentInfo is a traffic-shifting deployment in progress, as
// its service deployment reports it.
type ServiceDeploymentInfo struct {
	Arn    string `json:"serviceDeploymentArn"`
	Status string `json:"status"`
	Stage  string `json:"lifecycleStage,omitempty"`
	// ProductionTraffic is the new revision's share, in percent.
	ProductionTraffic *float64 `json:"productionTrafficPercent,omitempty"`
	// Error says why the record could not be read (the status goes on).
	Error string `json:"error,omitempty"`
}

// overviewServiceDeployment reads the ongoing service deployment of a
// BLUE_GREEN, LINEAR or CANARY service; nil when there is none or the
// client lacks the API.
func overviewServiceDeployment(ctx context.Context, api any, s types.Service) *ServiceDeploymentInfo {
	sdAPI, ok := api.(ServiceDeploymentAPI)
	arn := aws.ToString(s.CurrentServiceDeployment)
	if !ok || arn == "" || !ShiftingStrategy(ServiceStrategy(s)) {
		return nil
	}
	out, err := sdAPI.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return &ServiceDeploymentInfo{Arn: arn, Error: fmt.Sprintf("describe service deployment: %v", err)}
	}
	if len(out.ServiceDeployments) == 0 {
		return nil
	}
	sd := out.ServiceDeployments[0]
	switch sd.Status {
	case types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress, types.ServiceDeploymentStatusStopRequested,
		types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress:
	default:
		return nil // finished: the deployments table tells the rest
	}
	info := &ServiceDeploymentInfo{Arn: arn, Status: string(sd.Status), Stage: string(sd.LifecycleStage)}
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		w := *t.RequestedProductionTrafficWeight
		info.ProductionTraffic = &w
	}
	return info
}
