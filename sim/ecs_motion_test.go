package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

func TestECSUnhealthyTargetsAreReplaced(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(2, true, &CircuitBreakerSpec{Enable: true, Rollback: true}, nil, nil), spreadInstances(3, 2, 8192))
	bad := newRevision(t, s, "api", "api:unhealthy-v2")
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), TaskDefinition: aws.String(bad)})
	// After the grace the new targets are unhealthy, then draining.
	s.Advance(time.Second)
	s.Advance(s.Timings.TaskStart.D() + s.Timings.HealthCheckGrace.D())
	svc := describeService(t, s, "api")
	tg := svc.LoadBalancers[0].TargetGroupArn
	th := mustCall(t, s, (*Sim).elbDescribeTargetHealth, &elb.DescribeTargetHealthInput{TargetGroupArn: tg})
	states := map[string]int{}
	for _, d := range th.TargetHealthDescriptions {
		states[string(d.TargetHealth.State)]++
	}
	if states["healthy"] != 2 || states["draining"] != 2 {
		t.Fatalf("target states: %v", states)
	}
	stopped := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), DesiredStatus: types.DesiredStatusStopped})
	d := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: stopped.TaskArns})
	for _, tk := range d.Tasks {
		if want := "Task failed ELB health checks in (target-group " + aws.ToString(tg) + ")"; aws.ToString(tk.StoppedReason) != want {
			t.Fatalf("stopped reason %q, want %q", aws.ToString(tk.StoppedReason), want)
		}
		if aws.ToString(tk.LastStatus) != "DEACTIVATING" {
			t.Fatalf("a task whose target drains is DEACTIVATING, got %s", aws.ToString(tk.LastStatus))
		}
	}
	if !strings.Contains(eventsText(svc), "failed ELB health checks in (target-group ") {
		t.Fatalf("events:\n%s", eventsText(svc))
	}
	// The breaker (threshold 3) trips on the third failure and rolls back.
	if !s.RunUntil(30*time.Minute, 10*time.Second, serviceDone(s, "api")) {
		t.Fatalf("no rollback:\n%s", eventsText(describeService(t, s, "api")))
	}
	if got := aws.ToString(describeService(t, s, "api").TaskDefinition); got == bad {
		t.Fatal("still on the unhealthy revision")
	}
	if rep := s.Report(); len(rep.Violations) != 0 {
		t.Fatalf("violations: %+v", rep.Services)
	}
}

func TestECSPlacementConstraints(t *testing.T) {
	insts := spreadInstances(4, 2, 8192)
	insts[3].ami = "ami-0new"
	tests := []struct {
		name       string
		pcs        []PlacementConstraintSpec
		desired    int
		wantPlaced int
		check      func(t *testing.T, s *Sim, tasks []types.Task)
	}{
		{"memberOf zone", []PlacementConstraintSpec{{Type: "memberOf", Expression: "attribute:ecs.availability-zone in [us-east-1a]"}}, 3, 3,
			func(t *testing.T, s *Sim, tasks []types.Task) {
				for _, tk := range tasks {
					if aws.ToString(tk.AvailabilityZone) != "us-east-1a" {
						t.Fatalf("task in %s", aws.ToString(tk.AvailabilityZone))
					}
				}
			}},
		{"memberOf ami", []PlacementConstraintSpec{{Type: "memberOf", Expression: "attribute:ecs.ami-id == ami-0new"}}, 2, 2,
			func(t *testing.T, s *Sim, tasks []types.Task) {
				if tasks[0].ContainerInstanceArn == nil || aws.ToString(tasks[0].ContainerInstanceArn) != aws.ToString(tasks[1].ContainerInstanceArn) {
					t.Fatal("both tasks belong on the one new-AMI instance")
				}
			}},
		{"distinctInstance", []PlacementConstraintSpec{{Type: "distinctInstance"}}, 6, 4,
			func(t *testing.T, s *Sim, tasks []types.Task) {
				seen := map[string]bool{}
				for _, tk := range tasks {
					ci := aws.ToString(tk.ContainerInstanceArn)
					if seen[ci] {
						t.Fatalf("two tasks on %s", ci)
					}
					seen[ci] = true
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &World{Clusters: []ClusterSpec{{Name: "prod", Services: []ServiceSpec{{
				Name: "api", Desired: tc.desired, PlacementConstraints: tc.pcs,
				Containers: []ContainerSpec{{Name: "app", Image: "api:v1", CPU: 128, Memory: 128}},
			}}}}}
			s := newTestSim(t, Options{}, w, insts)
			s.Advance(time.Minute)
			l := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")})
			if len(l.TaskArns) != tc.wantPlaced {
				t.Fatalf("%d tasks placed, want %d", len(l.TaskArns), tc.wantPlaced)
			}
			tasks := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: l.TaskArns}).Tasks
			tc.check(t, s, tasks)
			if tc.wantPlaced < tc.desired && !strings.Contains(eventsText(describeService(t, s, "api")), "was unable to place a task") {
				t.Fatal("no unable-to-place event")
			}
		})
	}
}

func TestECSDaemonService(t *testing.T) {
	w := drainWorld(3)
	w.Clusters[0].Services = append(w.Clusters[0].Services, ServiceSpec{Name: "agent", Daemon: true,
		Containers: []ContainerSpec{{Name: "agent", Image: "agent:v1", CPU: 64, Memory: 64}}})
	s := newTestSim(t, Options{}, w, spreadInstances(3, 2, 8192))
	if svc := describeService(t, s, "agent"); svc.DesiredCount != 3 || svc.RunningCount != 3 || svc.SchedulingStrategy != types.SchedulingStrategyDaemon {
		t.Fatalf("daemon: desired %d running %d", svc.DesiredCount, svc.RunningCount)
	}
	// A new instance gets a daemon task.
	s.mu.Lock()
	s.ecsRegisterInstance(InstanceInfo{InstanceID: "i-0new", Cluster: "prod", AvailabilityZone: "us-east-1a", InstanceType: "m5.large", ImageID: "ami-0new", VCPU: 2, MemoryMiB: 8192})
	s.mu.Unlock()
	if !s.RunUntil(5*time.Minute, 5*time.Second, func() bool { return s.ecs.Clusters["prod"].Services["agent"].Svc.RunningCount == 4 }) {
		t.Fatalf("no daemon task on the new instance: %+v", describeService(t, s, "agent").Deployments)
	}
	// Draining: the daemon task stops last, after the other service tasks.
	cis := instanceArns(t, s)
	first := cis[0]
	mustCall(t, s, (*Sim).ecsUpdateContainerInstancesState, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: []string{first}, Status: types.ContainerInstanceStatusDraining})
	var daemonStopped, othersGone time.Time
	s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		others, daemon := 0, 0
		for ta := range s.ecs.instTasks[first] {
			tk := s.ecs.Tasks[ta]
			switch {
			case strings.HasSuffix(tk.Service, "/agent"):
				if aws.ToString(tk.Task.DesiredStatus) == "RUNNING" {
					daemon++
				}
			case tk.Service != "":
				others++
			}
		}
		if others == 0 && othersGone.IsZero() {
			othersGone = s.Now()
		}
		if daemon == 0 && daemonStopped.IsZero() {
			daemonStopped = s.Now()
		}
		return !daemonStopped.IsZero() && !othersGone.IsZero()
	})
	if daemonStopped.IsZero() || daemonStopped.Before(othersGone) {
		t.Fatalf("daemon stopped at %v, other service tasks gone at %v", daemonStopped, othersGone)
	}
}

func TestECSRunAndStopTask(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(2, false, nil, nil, nil), spreadInstances(2, 2, 8192))
	out := mustCall(t, s, (*Sim).ecsRunTask, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("api:3"), Count: aws.Int32(2), StartedBy: aws.String("ecsctl")})
	if len(out.Tasks) != 2 || aws.ToString(out.Tasks[0].Group) != "family:api" || aws.ToString(out.Tasks[0].LastStatus) != "PENDING" {
		t.Fatalf("run: %+v %+v", len(out.Tasks), out.Failures)
	}
	s.Advance(s.Timings.TaskStart.D())
	l := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), StartedBy: aws.String("ecsctl")})
	if len(l.TaskArns) != 2 {
		t.Fatalf("startedBy filter: %d", len(l.TaskArns))
	}
	huge := mustCall(t, s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{Family: aws.String("huge"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("x"), Image: aws.String("x:1"), Memory: aws.Int32(100000)}}})
	failed := mustCall(t, s, (*Sim).ecsRunTask, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: huge.TaskDefinition.TaskDefinitionArn})
	if len(failed.Tasks) != 0 || len(failed.Failures) != 1 || aws.ToString(failed.Failures[0].Reason) != "RESOURCE:MEMORY" {
		t.Fatalf("oversized task: %+v", failed.Failures)
	}
	// Stopping a service task by hand: recorded as killed without replacement.
	svcTasks := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")})
	s.ResetReport()
	st := mustCall(t, s, (*Sim).ecsStopTaskOp, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(svcTasks.TaskArns[0]), Reason: aws.String("oops")})
	if aws.ToString(st.Task.DesiredStatus) != "STOPPED" || st.Task.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(st.Task.StoppedReason) != "oops" {
		t.Fatalf("stop: %+v", st.Task)
	}
	rep := s.Report()
	if len(rep.KilledNoReplacement) != 1 || rep.KilledNoReplacement[0].Service != "prod/api" {
		t.Fatalf("killed record: %+v", rep.KilledNoReplacement)
	}
	if !s.RunUntil(5*time.Minute, 5*time.Second, serviceDone(s, "api")) {
		t.Fatal("service did not replace the stopped task")
	}
	if _, err := lockedCall(s, (*Sim).ecsStopTaskOp, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String("0123")}); apiErrCode(err) != "InvalidParameterException" {
		t.Fatalf("unknown task: %v", err)
	}
	// Stopped tasks are forgotten after an hour.
	s.Advance(2 * time.Hour)
	if _, ok := s.ecs.Tasks[svcTasks.TaskArns[0]]; ok {
		t.Fatal("stopped task kept past retention")
	}
}

func TestECSScaleAndDeleteService(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(2, true, nil, nil, nil), spreadInstances(3, 2, 8192))
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), DesiredCount: aws.Int32(5)})
	if !s.RunUntil(10*time.Minute, 5*time.Second, func() bool {
		return serviceDone(s, "api")() && s.ecs.Clusters["prod"].Services["api"].Svc.RunningCount == 5
	}) {
		t.Fatal("scale out did not finish")
	}
	if len(s.Report().Violations) != 0 {
		t.Fatal("scaling out is not a violation")
	}
	if _, err := lockedCall(s, (*Sim).ecsDeleteService, &ecs.DeleteServiceInput{Cluster: aws.String("prod"), Service: aws.String("api")}); apiErrCode(err) != "InvalidParameterException" {
		t.Fatalf("delete while scaled: %v", err)
	}
	mustCall(t, s, (*Sim).ecsDeleteService, &ecs.DeleteServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), Force: aws.Bool(true)})
	if _, err := lockedCall(s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), ForceNewDeployment: true}); apiErrCode(err) != "ServiceNotActiveException" {
		t.Fatalf("update of a deleted service: %v", err)
	}
	if !s.RunUntil(20*time.Minute, 10*time.Second, func() bool { return aws.ToString(s.ecs.Clusters["prod"].Services["api"].Svc.Status) == "INACTIVE" }) {
		t.Fatal("deleted service never became INACTIVE")
	}
	l := mustCall(t, s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if len(l.ServiceArns) != 0 {
		t.Fatalf("listed: %v", l.ServiceArns)
	}
	s.mu.Lock()
	u := s.ecsUsage()
	s.mu.Unlock()
	if len(u) != 1 || u[0].CPURegistered != 3*2048 || u[0].CPUReserved != 0 {
		t.Fatalf("usage: %+v", u)
	}
}

func TestECSUsage(t *testing.T) {
	s := newTestSim(t, Options{}, manyServicesWorld(3), spreadInstances(2, 2, 8192))
	s.mu.Lock()
	u := s.ecsUsage()
	s.mu.Unlock()
	if len(u) != 1 || len(u[0].Services) != 3 || u[0].CPUReserved != 3*64 || u[0].MemReserved != 3*64 {
		t.Fatalf("usage: %+v", u)
	}
	for _, su := range u[0].Services {
		if su.RunningTasks != 1 || su.CPUUtilization < 20 || su.CPUUtilization > 70 {
			t.Fatalf("service usage: %+v", su)
		}
	}
}

func TestECSHealthCheckGracePeriodDelaysReplacement(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(1, true, nil, nil, nil), spreadInstances(2, 2, 8192))
	bad := newRevision(t, s, "api", "api:unhealthy-v2")
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"),
		TaskDefinition: aws.String(bad), HealthCheckGracePeriodSeconds: aws.Int32(300)})
	s.Advance(0)
	svc := s.ecs.Clusters["prod"].Services["api"]
	newTask := func() *ecsTask {
		for _, tk := range s.ecsServiceTasks(svc) {
			if aws.ToString(tk.Task.TaskDefinitionArn) == bad {
				return tk
			}
		}
		return nil
	}
	s.Advance(2 * time.Minute)
	s.mu.Lock()
	tk := newTask()
	tgt := s.elb.TargetGroups[tk.TargetGroup].target(tk)
	state, desired := tgt.State, aws.ToString(tk.Task.DesiredStatus)
	s.mu.Unlock()
	if state != "unhealthy" || desired != "RUNNING" {
		t.Fatalf("inside the grace period: target %s, task desired %s", state, desired)
	}
	s.Advance(4 * time.Minute)
	s.mu.Lock()
	desired, reason := aws.ToString(tk.Task.DesiredStatus), aws.ToString(tk.Task.StoppedReason)
	s.mu.Unlock()
	if desired != "STOPPED" || !strings.HasPrefix(reason, "Task failed ELB health checks") {
		t.Fatalf("after the grace period: desired %s, reason %q", desired, reason)
	}
}
