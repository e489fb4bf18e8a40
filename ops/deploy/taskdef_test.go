package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestEveryTaskDefinitionFieldIsCarriedOver(t *testing.T) {
	if lost := unmappedTaskDefFields(); len(lost) > 0 {
		t.Fatalf("TaskDefinition fields a new revision would lose: %v (map them in RegisterInputFrom)", lost)
	}
}

func liveTaskDef() *types.TaskDefinition {
	return &types.TaskDefinition{
		TaskDefinitionArn:  aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/api:42"),
		Family:             aws.String("api"),
		Revision:           42,
		Status:             types.TaskDefinitionStatusActive,
		ExecutionRoleArn:   aws.String("arn:aws:iam::123456789012:role/exec"),
		TaskRoleArn:        aws.String("arn:aws:iam::123456789012:role/task"),
		Cpu:                aws.String("1024"),
		Memory:             aws.String("2048"),
		NetworkMode:        types.NetworkModeBridge,
		RuntimePlatform:    &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureX8664, OperatingSystemFamily: types.OSFamilyLinux},
		EphemeralStorage:   &types.EphemeralStorage{SizeInGiB: 30},
		RequiresAttributes: []types.Attribute{{Name: aws.String("com.amazonaws.ecs.capability.logging-driver.awslogs")}},
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:old"), Essential: aws.Bool(true),
				Environment: []types.KeyValuePair{{Name: aws.String("PORT"), Value: aws.String("8080")}, {Name: aws.String("API_TOKEN"), Value: aws.String("tok-123")}},
				Secrets:     []types.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/db")}},
				DependsOn:   []types.ContainerDependency{{ContainerName: aws.String("envoy"), Condition: types.ContainerConditionStart}},
			},
			{Name: aws.String("envoy"), Image: aws.String("public.ecr.aws/appmesh/aws-appmesh-envoy:v1"), Essential: aws.Bool(false)},
		},
	}
}

func TestRegisterInputFromKeepsFieldsAndChangesOnlyWhatWasAsked(t *testing.T) {
	td := liveTaskDef()
	in := RegisterInputFrom(td, []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}})
	v := "debug"
	ch := TaskDefChanges{
		Images: map[string]string{"app": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:new"},
		Env:    []EnvChange{{Container: "app", Key: "LOG_LEVEL", Value: &v}, {Container: "app", Key: "PORT"}},
	}
	if err := ch.Apply(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/exec" || in.RuntimePlatform == nil || in.EphemeralStorage.SizeInGiB != 30 {
		t.Fatalf("fields lost: %+v", in)
	}
	if len(in.ContainerDefinitions[0].DependsOn) != 1 || len(in.Tags) != 1 {
		t.Fatalf("dependsOn or tags lost")
	}
	if got := aws.ToString(in.ContainerDefinitions[0].Image); !strings.HasSuffix(got, ":new") {
		t.Fatalf("app image = %s", got)
	}
	if got := aws.ToString(in.ContainerDefinitions[1].Image); got != "public.ecr.aws/appmesh/aws-appmesh-envoy:v1" {
		t.Fatalf("sidecar image changed: %s", got)
	}
	// The described revision is untouched.
	if got := aws.ToString(td.ContainerDefinitions[0].Image); !strings.HasSuffix(got, ":old") || len(td.ContainerDefinitions[0].Environment) != 2 {
		t.Fatalf("live task definition was modified: %s", got)
	}
	env := map[string]string{}
	for _, kv := range in.ContainerDefinitions[0].Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if env["LOG_LEVEL"] != "debug" || env["PORT"] != "" || env["API_TOKEN"] != "tok-123" {
		t.Fatalf("env = %v", env)
	}
	if err := (TaskDefChanges{Images: map[string]string{"nope": "x"}}).Apply(context.Background(), in); err == nil || !strings.Contains(err.Error(), "app, envoy") {
		t.Fatalf("unknown container error = %v", err)
	}
}

func TestTaskDefDiffMasksSecrets(t *testing.T) {
	old := RegisterInputFrom(liveTaskDef(), nil)
	new := RegisterInputFrom(liveTaskDef(), nil)
	_ = TaskDefChanges{Images: map[string]string{"app": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:new"}}.Apply(context.Background(), new)
	d := TaskDefDiff(old, new)
	if !strings.Contains(d, "- ") || !strings.Contains(d, "api:old") || !strings.Contains(d, "+ ") || !strings.Contains(d, "api:new") {
		t.Fatalf("diff does not show the image change:\n%s", d)
	}
	full := strings.Join(jsonLines(MaskTaskDef(new)), "\n")
	for _, secret := range []string{"tok-123", "parameter/db"} {
		if strings.Contains(full, secret) || strings.Contains(d, secret) {
			t.Fatalf("secret %q shown:\n%s", secret, full)
		}
	}
	if !strings.Contains(full, "8080") {
		t.Fatal("non-secret env value masked")
	}
}
