package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestECSRollingDeployCompletes(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(4, true, nil, nil, nil), spreadInstances(4, 2, 8192))
	before := describeService(t, s, "api")
	if before.RunningCount != 4 || len(before.Deployments) != 1 || before.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted {
		t.Fatalf("loaded service not steady: running %d, deployments %+v", before.RunningCount, before.Deployments)
	}
	oldID := aws.ToString(before.Deployments[0].Id)
	s.ResetReport()
	arn := newRevision(t, s, "api", "api:v2")
	out := mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(arn)})
	deps := out.Service.Deployments
	if len(deps) != 2 || aws.ToString(deps[0].Status) != "PRIMARY" || aws.ToString(deps[1].Status) != "ACTIVE" ||
		aws.ToString(deps[1].Id) != oldID || deps[0].RolloutState != types.DeploymentRolloutStateInProgress ||
		!strings.HasPrefix(aws.ToString(deps[0].Id), "ecs-svc/") || aws.ToString(deps[0].TaskDefinition) != arn {
		t.Fatalf("after update: %+v", deps)
	}
	newID := aws.ToString(deps[0].Id)
	if !s.RunUntil(30*time.Minute, 5*time.Second, serviceDone(s, "api")) {
		t.Fatalf("deployment did not complete:\n%s", eventsText(describeService(t, s, "api")))
	}
	svc := describeService(t, s, "api")
	if aws.ToString(svc.Deployments[0].Id) != newID || svc.RunningCount != 4 || svc.PendingCount != 0 {
		t.Fatalf("final: %+v", svc.Deployments)
	}
	ev := eventsText(svc)
	for _, want := range []string{
		"(service api) has started 4 tasks: (task ",
		"(service api) registered 1 targets in (target-group arn:aws:elasticloadbalancing:",
		"(service api) has begun draining connections on 4 tasks.",
		"(service api) has stopped 4 running tasks: (task ",
		"(service api) deployment " + newID + " deployment completed.",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("events lack %q:\n%s", want, ev)
		}
	}
	if !strings.HasSuffix(ev, "(service api) has reached a steady state.\n") {
		t.Errorf("newest event is not the steady state:\n%s", ev)
	}
	// Every running task runs the new revision.
	list := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")})
	tasks := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: list.TaskArns})
	if len(tasks.Tasks) != 4 {
		t.Fatalf("running tasks: %d", len(tasks.Tasks))
	}
	for _, tk := range tasks.Tasks {
		if aws.ToString(tk.TaskDefinitionArn) != arn || aws.ToString(tk.LastStatus) != "RUNNING" {
			t.Errorf("task %s: %s %s", aws.ToString(tk.TaskArn), aws.ToString(tk.TaskDefinitionArn), aws.ToString(tk.LastStatus))
		}
	}
	rep := s.Report()
	if len(rep.Violations) != 0 {
		t.Fatalf("minimum healthy broken: %+v", rep.Services["prod/api"])
	}
	if r := rep.Services["prod/api"]; r.MinHealthy < 4 {
		t.Fatalf("min healthy %d, want 4 (minimumHealthyPercent 100)", r.MinHealthy)
	}
	var kinds []string
	for _, e := range rep.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "deployment-created,deployment-completed" {
		t.Fatalf("timeline: %s", got)
	}
}
