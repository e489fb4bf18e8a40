package wire

import (
	"reflect"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	ecsdocument "github.com/aws/aws-sdk-go-v2/service/ecs/document"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The union members that requests of the sandboxed services can carry
// (outputs need no list: the SDK's own Serialize writes them).
func init() {
	registerUnion((*ecstypes.ServiceConnectContainerConfiguration)(nil),
		&ecstypes.ServiceConnectContainerConfigurationMemberLogLevel{})
	registerUnion((*ecstypes.SharingStrategy)(nil),
		&ecstypes.SharingStrategyMemberNvidiaMps{})
	registerUnion((*cwtypes.EvaluationCriteria)(nil),
		&cwtypes.EvaluationCriteriaMemberPromQLCriteria{})
	registerUnion((*cwtypes.EvaluationWindow)(nil),
		&cwtypes.EvaluationWindowMemberSlidingWindow{},
		&cwtypes.EvaluationWindowMemberWallClockWindow{})

	// ECS's DeploymentLifecycleHook.HookDetails (CreateService,
	// UpdateService) is a document.
	documentTypes[reflect.TypeOf((*ecsdocument.Interface)(nil)).Elem()] = func(v any) any { return ecsdocument.NewLazyDocument(v) }
}
