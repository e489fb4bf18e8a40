package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	ecsdocument "github.com/aws/aws-sdk-go-v2/service/ecs/document"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// roundTripCases are the operations ecsctl relies on, each sent a fully
// populated input and answering a fully populated output.
var roundTripCases = []opCase{
	rt(SvcECS, "DescribeClusters", (*ecs.Client).DescribeClusters),
	rt(SvcECS, "ListClusters", (*ecs.Client).ListClusters),
	rt(SvcECS, "DescribeServices", (*ecs.Client).DescribeServices),
	rt(SvcECS, "ListServices", (*ecs.Client).ListServices),
	rt(SvcECS, "DescribeTasks", (*ecs.Client).DescribeTasks),
	rt(SvcECS, "ListTasks", (*ecs.Client).ListTasks),
	rt(SvcECS, "DescribeContainerInstances", (*ecs.Client).DescribeContainerInstances),
	rt(SvcECS, "ListContainerInstances", (*ecs.Client).ListContainerInstances),
	rt(SvcECS, "DescribeTaskDefinition", (*ecs.Client).DescribeTaskDefinition),
	rt(SvcECS, "ListTaskDefinitions", (*ecs.Client).ListTaskDefinitions),
	rt(SvcECS, "RegisterTaskDefinition", (*ecs.Client).RegisterTaskDefinition),
	rt(SvcECS, "UpdateService", (*ecs.Client).UpdateService),
	rt(SvcECS, "RunTask", (*ecs.Client).RunTask),
	rt(SvcECS, "StopTask", (*ecs.Client).StopTask),
	rt(SvcECS, "ListAttributes", (*ecs.Client).ListAttributes),
	rt(SvcECS, "DescribeCapacityProviders", (*ecs.Client).DescribeCapacityProviders),
	rt(SvcECS, "UpdateContainerInstancesState", (*ecs.Client).UpdateContainerInstancesState),

	rt(SvcEC2, "DescribeInstances", (*ec2.Client).DescribeInstances),
	rt(SvcEC2, "DescribeImages", (*ec2.Client).DescribeImages),
	rt(SvcEC2, "DescribeInstanceTypes", (*ec2.Client).DescribeInstanceTypes),
	rt(SvcEC2, "DescribeLaunchTemplates", (*ec2.Client).DescribeLaunchTemplates),
	rt(SvcEC2, "DescribeLaunchTemplateVersions", (*ec2.Client).DescribeLaunchTemplateVersions),
	rt(SvcEC2, "CreateLaunchTemplateVersion", (*ec2.Client).CreateLaunchTemplateVersion),
	rt(SvcEC2, "ModifyLaunchTemplate", (*ec2.Client).ModifyLaunchTemplate),
	rt(SvcEC2, "TerminateInstances", (*ec2.Client).TerminateInstances),
	rt(SvcEC2, "CreateTags", (*ec2.Client).CreateTags),
	rt(SvcEC2, "DescribeTags", (*ec2.Client).DescribeTags),
	rt(SvcEC2, "DescribeAvailabilityZones", (*ec2.Client).DescribeAvailabilityZones),

	rt(SvcAutoScaling, "DescribeAutoScalingGroups", (*autoscaling.Client).DescribeAutoScalingGroups),
	rt(SvcAutoScaling, "DescribeAutoScalingInstances", (*autoscaling.Client).DescribeAutoScalingInstances),
	rt(SvcAutoScaling, "DescribeInstanceRefreshes", (*autoscaling.Client).DescribeInstanceRefreshes),
	rt(SvcAutoScaling, "DescribeLifecycleHooks", (*autoscaling.Client).DescribeLifecycleHooks),
	rt(SvcAutoScaling, "StartInstanceRefresh", (*autoscaling.Client).StartInstanceRefresh),
	rt(SvcAutoScaling, "UpdateAutoScalingGroup", (*autoscaling.Client).UpdateAutoScalingGroup),
	rt(SvcAutoScaling, "SetDesiredCapacity", (*autoscaling.Client).SetDesiredCapacity),
	rt(SvcAutoScaling, "TerminateInstanceInAutoScalingGroup", (*autoscaling.Client).TerminateInstanceInAutoScalingGroup),

	rt(SvcELBv2, "DescribeTargetGroups", (*elb.Client).DescribeTargetGroups),
	rt(SvcELBv2, "DescribeTargetHealth", (*elb.Client).DescribeTargetHealth),

	rt(SvcSTS, "GetCallerIdentity", (*sts.Client).GetCallerIdentity),

	rt(SvcLogs, "DescribeLogGroups", (*cloudwatchlogs.Client).DescribeLogGroups),
	rt(SvcLogs, "DescribeLogStreams", (*cloudwatchlogs.Client).DescribeLogStreams),
	rt(SvcLogs, "GetLogEvents", (*cloudwatchlogs.Client).GetLogEvents),
	rt(SvcLogs, "FilterLogEvents", (*cloudwatchlogs.Client).FilterLogEvents),

	rt(SvcECR, "DescribeRepositories", (*ecr.Client).DescribeRepositories),
	rt(SvcECR, "DescribeImages", (*ecr.Client).DescribeImages),
	rt(SvcECR, "PutImage", (*ecr.Client).PutImage),
	rt(SvcECR, "BatchGetImage", (*ecr.Client).BatchGetImage),

	rt(SvcSSM, "GetParameter", (*ssm.Client).GetParameter),
	rt(SvcSSM, "GetParameters", (*ssm.Client).GetParameters),

	rt(SvcCloudWatch, "GetMetricData", (*cloudwatch.Client).GetMetricData),
	rt(SvcCloudWatch, "GetMetricStatistics", (*cloudwatch.Client).GetMetricStatistics),

	rt(SvcAppAutoScaling, "DescribeScalableTargets", (*applicationautoscaling.Client).DescribeScalableTargets),
	rt(SvcAppAutoScaling, "RegisterScalableTarget", (*applicationautoscaling.Client).RegisterScalableTarget),
}

func TestRoundTripThroughSDKClients(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.svc+"."+tc.op, func(t *testing.T) {
			env := newTestEnv(t, 1)
			if p := tc.run(t, env); len(p) > 0 {
				t.Errorf("%d problems:\n\t%s", len(p), joinProblems(p))
			}
		})
	}
}

func TestDocumentMembersRoundTrip(t *testing.T) {
	env := newTestEnv(t, 1)
	details := map[string]any{"timeout": 30.0, "steps": []any{"a", "b"}, "nested": map[string]any{"ok": true}}
	hook := ecstypes.DeploymentLifecycleHook{HookDetails: ecsdocument.NewLazyDocument(details), HookTargetArn: aws.String("arn:hook")}
	var got *ecs.UpdateServiceInput
	Handle(env.reg, SvcECS, "UpdateService", func(s *Sim, in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
		got = in
		return &ecs.UpdateServiceOutput{Service: &ecstypes.Service{Deployments: []ecstypes.Deployment{}, DeploymentConfiguration: in.DeploymentConfiguration}}, nil
	})
	out, err := env.c.ecs.UpdateService(context.Background(), &ecs.UpdateServiceInput{Service: aws.String("api"),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{LifecycleHooks: []ecstypes.DeploymentLifecycleHook{hook}}})
	if err != nil {
		t.Fatal(err)
	}
	// The server holds a lazy document (it can be marshaled, as when the
	// operation returns it); the client gets one it can unmarshal.
	var in, back map[string]any
	p, err := got.DeploymentConfiguration.LifecycleHooks[0].HookDetails.MarshalSmithyDocument()
	if err != nil || json.Unmarshal(p, &in) != nil || !reflect.DeepEqual(in, details) {
		t.Errorf("decoded input %s (%v), want %v", p, err, details)
	}
	err = out.Service.DeploymentConfiguration.LifecycleHooks[0].HookDetails.UnmarshalSmithyDocument(&back)
	// (the SDK's document decoder gives numbers as document.Number strings)
	if err != nil || fmt.Sprint(back) != fmt.Sprint(details) {
		b1, _ := json.Marshal(back)
		t.Errorf("output %s %#v (%v), want %s", b1, back, err, mustJSON(details))
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
