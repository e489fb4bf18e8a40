package sim

import (
	"fmt"
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
		"(service api) registered 4 targets in (target-group arn:aws:elasticloadbalancing:",
		"(service api, taskSet ecs-svc/", // the old deployment's tasks drain
		") has begun draining connections on 4 tasks.",
		"(service api) has stopped 4 running tasks: (task ",
		"(service api) (deployment " + newID + ") deployment completed.",
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

func TestECSCircuitBreaker(t *testing.T) {
	tests := []struct {
		name     string
		cb       *CircuitBreakerSpec
		wantDeps int
	}{
		{"rollback", &CircuitBreakerSpec{Enable: true, Rollback: true}, 1},
		{"no rollback", &CircuitBreakerSpec{Enable: true}, 2},
		{"no rollback, min 50", &CircuitBreakerSpec{Enable: true}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var minP *int
			if strings.Contains(tc.name, "min 50") {
				minP = intp(50)
			}
			s := newTestSim(t, Options{}, apiWorld(4, true, tc.cb, minP, nil), spreadInstances(4, 2, 8192))
			good := aws.ToString(describeService(t, s, "api").TaskDefinition)
			s.ResetReport()
			bad := newRevision(t, s, "api", "api:crash-v2")
			out := mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(bad)})
			badID := aws.ToString(out.Service.Deployments[0].Id)
			failed := func() bool {
				for _, d := range s.ecs.Clusters["prod"].Services["api"].Svc.Deployments {
					if aws.ToString(d.Id) == badID {
						return d.RolloutState == types.DeploymentRolloutStateFailed
					}
				}
				return true // gone: it failed and was drained
			}
			if !s.RunUntil(20*time.Minute, 5*time.Second, failed) {
				t.Fatalf("breaker did not trip:\n%+v", describeService(t, s, "api").Deployments)
			}
			s.Advance(20 * time.Minute)
			svc := describeService(t, s, "api")
			if len(svc.Deployments) != tc.wantDeps {
				t.Fatalf("deployments: %+v", svc.Deployments)
			}
			ev := eventsText(svc)
			if !strings.Contains(ev, "(service api) (deployment "+badID+") deployment failed: tasks failed to start.") {
				t.Errorf("no failure event:\n%s", ev)
			}
			primary := svc.Deployments[0]
			if tc.cb.Rollback {
				if aws.ToString(primary.Id) == badID || aws.ToString(primary.TaskDefinition) != good ||
					primary.RolloutState != types.DeploymentRolloutStateCompleted || primary.RunningCount != 4 {
					t.Fatalf("rollback deployment: %+v", primary)
				}
				if !strings.HasSuffix(ev, "has reached a steady state.\n") {
					t.Errorf("not steady after rollback:\n%s", ev)
				}
			} else {
				if aws.ToString(primary.Id) != badID || primary.RolloutState != types.DeploymentRolloutStateFailed ||
					aws.ToString(primary.RolloutStateReason) != "ECS deployment circuit breaker: tasks failed to start." || primary.FailedTasks < 3 {
					t.Fatalf("failed deployment: %+v", primary)
				}
				// minimumHealthyPercent 50 lets ECS stop half the old tasks
				// at once; the other half keeps serving.
				wantOld := int32(4)
				if minP != nil {
					wantOld = 2
				}
				if old := svc.Deployments[1]; old.RunningCount != wantOld || aws.ToString(old.TaskDefinition) != good {
					t.Fatalf("old deployment should keep serving: %+v", old)
				}
				// A failed deployment launches nothing more.
				if primary.RunningCount+primary.PendingCount != 0 {
					t.Fatalf("failed deployment still runs tasks: %+v", primary)
				}
			}
			if rep := s.Report(); len(rep.Violations) != 0 {
				t.Fatalf("minimum healthy broken: %+v", rep.Services["prod/api"])
			}
		})
	}
}

func TestECSCrashLoopWithoutBreaker(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(2, true, nil, nil, nil), spreadInstances(3, 2, 8192))
	bad := newRevision(t, s, "api", "api:crash-v2")
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(bad)})
	s.Advance(0)
	var failedSeen []int32
	for i := 0; i < 6; i++ {
		s.Advance(5 * time.Minute)
		svc := describeService(t, s, "api")
		if len(svc.Deployments) != 2 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress {
			t.Fatalf("crash loop should stay IN_PROGRESS with both deployments: %+v", svc.Deployments)
		}
		failedSeen = append(failedSeen, svc.Deployments[0].FailedTasks)
	}
	for i := 1; i < len(failedSeen); i++ {
		if failedSeen[i] <= failedSeen[i-1] {
			t.Fatalf("failedTasks should keep growing: %v", failedSeen)
		}
	}
	stopped := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), DesiredStatus: types.DesiredStatusStopped})
	if len(stopped.TaskArns) == 0 {
		t.Fatal("no stopped tasks listed")
	}
	d := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: stopped.TaskArns[:1]})
	tk := d.Tasks[0]
	if aws.ToString(tk.StoppedReason) != "Essential container in task exited" || tk.StopCode != types.TaskStopCodeEssentialContainerExited ||
		aws.ToInt32(tk.Containers[0].ExitCode) != 1 {
		t.Fatalf("crashed task: reason %q code %s exit %v", aws.ToString(tk.StoppedReason), tk.StopCode, tk.Containers[0].ExitCode)
	}
	if rep := s.Report(); len(rep.Violations) != 0 {
		t.Fatalf("old tasks should keep the service up: %+v", rep.Services["prod/api"])
	}
}

func TestECSSaveLoadMidDeployment(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(3, true, nil, nil, nil), spreadInstances(3, 2, 8192))
	arn := newRevision(t, s, "api", "api:v2")
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(arn)})
	s.Advance(45 * time.Second)
	var buf strings.Builder
	if err := s.Save(&stringWriter{&buf}); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(strings.NewReader(buf.String()), Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.RunUntil(30*time.Minute, 5*time.Second, serviceDone(s2, "api")) {
		t.Fatalf("deployment did not complete after load:\n%s", eventsText(describeService(t, s2, "api")))
	}
	if got := aws.ToString(describeService(t, s2, "api").Deployments[0].TaskDefinition); got != arn {
		t.Fatalf("task definition %s, want %s", got, arn)
	}
}

type stringWriter struct{ b *strings.Builder }

func (w *stringWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

func TestECSDeployWithinPercents(t *testing.T) {
	tests := []struct {
		minP, maxP  int
		wantMinSeen int // fewest healthy tasks seen (desired 4)
		wantMaxSeen int // most tasks RUNNING or PENDING at once
	}{
		{100, 200, 4, 8},
		{50, 100, 2, 4},
		{75, 125, 3, 5},
		{0, 100, 0, 4},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("min%d-max%d", tc.minP, tc.maxP), func(t *testing.T) {
			s := newTestSim(t, Options{}, apiWorld(4, true, nil, intp(tc.minP), intp(tc.maxP)), spreadInstances(4, 2, 8192))
			s.ResetReport()
			arn := newRevision(t, s, "api", "api:v2")
			mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(arn)})
			most := 0
			done := serviceDone(s, "api")
			ok := s.RunUntil(30*time.Minute, time.Second, func() bool {
				n := 0
				for _, tk := range s.ecsServiceTasks(s.ecs.Clusters["prod"].Services["api"]) {
					if aws.ToString(tk.Task.DesiredStatus) == "RUNNING" {
						n++
					}
				}
				most = max(most, n)
				return done()
			})
			if !ok {
				t.Fatalf("not done:\n%s", eventsText(describeService(t, s, "api")))
			}
			rec := s.Report().Services["prod/api"]
			if rec.MinHealthy != tc.wantMinSeen || len(rec.BelowMinimum) != 0 {
				t.Errorf("fewest healthy %d (want %d), below minimum %+v", rec.MinHealthy, tc.wantMinSeen, rec.BelowMinimum)
			}
			if most != tc.wantMaxSeen {
				t.Errorf("at most %d tasks at once, want %d", most, tc.wantMaxSeen)
			}
		})
	}
}
