package simtest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// CheckOnFargate fails t unless every task runs wantTD on Fargate as AWS
// shows it: no container instance, an ENI with a private IP, and the
// given capacity providers (nil: none) with their task counts. The cmd
// end-to-end tests and the ops tests on a Sandbox check Fargate tasks with
// it.
func CheckOnFargate(t testing.TB, tasks []types.Task, wantTD string, providers map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, task := range tasks {
		id := aws.ToString(task.TaskArn)
		if aws.ToString(task.TaskDefinitionArn) != wantTD {
			t.Errorf("task %s runs %s, want %s", id, aws.ToString(task.TaskDefinitionArn), wantTD)
		}
		if task.ContainerInstanceArn != nil || task.LaunchType != types.LaunchTypeFargate {
			t.Errorf("task %s: containerInstanceArn %v launchType %q, want none and FARGATE", id, aws.ToString(task.ContainerInstanceArn), task.LaunchType)
		}
		if eniAddress(task) == "" {
			t.Errorf("task %s has no ENI address: %+v", id, task.Attachments)
		}
		if p := aws.ToString(task.CapacityProviderName); p != "" {
			got[p]++
		}
	}
	if len(got) != len(providers) {
		t.Errorf("capacity providers %v, want %v", got, providers)
		return
	}
	for p, n := range providers {
		if got[p] != n {
			t.Errorf("capacity providers %v, want %v", got, providers)
		}
	}
}

// eniAddress is the private IPv4 address of a task's network interface.
func eniAddress(task types.Task) string {
	for _, a := range task.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}
