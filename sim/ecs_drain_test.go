package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// drainWorld: service api (LB) and worker, a standalone task pinned to the
// first instance.
func drainWorld(desired int) *World {
	w := apiWorld(desired, true, nil, nil, nil)
	w.Clusters[0].Services = append(w.Clusters[0].Services, ServiceSpec{
		Name: "worker", Desired: 2, MinimumHealthyPercent: intp(50),
		Containers: []ContainerSpec{{Name: "worker", Image: "worker:v7", CPU: 128, Memory: 256}},
	})
	w.Clusters[0].Tasks = []StandaloneTaskSpec{{Family: "batch", Count: 1, Instance: intp(0),
		Containers: []ContainerSpec{{Name: "job", Image: "batch:v1", CPU: 128, Memory: 256}}}}
	return w
}

func instanceArns(t *testing.T, s *Sim) []string {
	t.Helper()
	return mustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod")}).ContainerInstanceArns
}

func tasksOn(t *testing.T, s *Sim, ci string) []types.Task {
	t.Helper()
	l := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ContainerInstance: aws.String(ci)})
	if len(l.TaskArns) == 0 {
		return nil
	}
	return mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: l.TaskArns}).Tasks
}

func TestECSDrainMovesServiceTasks(t *testing.T) {
	s := newTestSim(t, Options{}, drainWorld(4), spreadInstances(4, 2, 8192))
	cis := instanceArns(t, s)
	first := cis[0]
	var serviceTasks int
	for _, tk := range tasksOn(t, s, first) {
		if strings.HasPrefix(aws.ToString(tk.Group), "service:") {
			serviceTasks++
		}
	}
	if serviceTasks == 0 {
		t.Fatal("test setup: no service task on the first instance")
	}
	s.ResetReport()
	out := mustCall(t, s, (*Sim).ecsUpdateContainerInstancesState, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: []string{first}, Status: types.ContainerInstanceStatusDraining})
	if len(out.ContainerInstances) != 1 || aws.ToString(out.ContainerInstances[0].Status) != "DRAINING" {
		t.Fatalf("update: %+v %+v", out.ContainerInstances, out.Failures)
	}
	drained := func() bool {
		for ta := range s.ecs.instTasks[first] {
			if s.ecs.Tasks[ta].Service != "" {
				return false
			}
		}
		return serviceDone(s, "api")() && serviceDone(s, "worker")()
	}
	if !s.RunUntil(30*time.Minute, 5*time.Second, drained) {
		t.Fatalf("drain did not finish:\n%s", eventsText(describeService(t, s, "api")))
	}
	left := tasksOn(t, s, first)
	if len(left) != 1 || aws.ToString(left[0].Group) != "family:batch" {
		t.Fatalf("the standalone task must stay, and only it: %d tasks", len(left))
	}
	d := mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: []string{first}})
	if ci := d.ContainerInstances[0]; ci.RunningTasksCount != 1 || aws.ToString(ci.Status) != "DRAINING" {
		t.Fatalf("drained instance: running %d status %s", ci.RunningTasksCount, aws.ToString(ci.Status))
	}
	rep := s.Report()
	if len(rep.Violations) != 0 {
		t.Fatalf("drain broke minimum healthy: %+v", rep.Services)
	}
	if len(rep.KilledNoReplacement) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Fatalf("unexpected records: %+v %+v", rep.KilledNoReplacement, rep.TerminatedWithTasks)
	}
	var sawDrained bool
	for _, e := range rep.Timeline {
		sawDrained = sawDrained || e.Kind == "instance-drained"
	}
	if !sawDrained {
		t.Fatalf("timeline lacks instance-drained: %+v", rep.Timeline)
	}
}

func TestECSDrainWithoutSpareCapacityNeverFinishes(t *testing.T) {
	// Two instances that each hold exactly two api tasks (cpu 2048 / 1024 each).
	w := &World{Clusters: []ClusterSpec{{Name: "prod", Services: []ServiceSpec{{
		Name: "api", Desired: 4, Containers: []ContainerSpec{{Name: "app", Image: "api:v1", CPU: 1024, Memory: 512}},
	}}}}}
	s := newTestSim(t, Options{}, w, spreadInstances(2, 2, 8192))
	cis := instanceArns(t, s)
	if n := len(tasksOn(t, s, cis[0])); n != 2 {
		t.Fatalf("setup: %d tasks on the first instance", n)
	}
	mustCall(t, s, (*Sim).ecsUpdateContainerInstancesState, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: cis[:1], Status: types.ContainerInstanceStatusDraining})
	if s.RunUntil(30*time.Minute, 15*time.Second, func() bool { return len(s.ecs.instTasks[cis[0]]) == 0 }) {
		t.Fatal("the drain finished without spare capacity")
	}
	svc := describeService(t, s, "api")
	ev := eventsText(svc)
	if !strings.Contains(ev, "(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ") ||
		!strings.Contains(ev, "has insufficient CPU units available") {
		t.Fatalf("no unable-to-place event:\n%s", ev)
	}
	if svc.RunningCount != 4 {
		t.Fatalf("running %d, want the 4 tasks kept (minimumHealthyPercent 100)", svc.RunningCount)
	}
	// Adding capacity lets the drain finish.
	s.mu.Lock()
	s.ecsRegisterInstance(InstanceInfo{InstanceID: "i-0spare", Cluster: "prod", AvailabilityZone: "us-east-1c", InstanceType: "m5.large", ImageID: "ami-0new", VCPU: 2, MemoryMiB: 8192})
	s.mu.Unlock()
	if !s.RunUntil(30*time.Minute, 15*time.Second, func() bool { return len(s.ecs.instTasks[cis[0]]) == 0 && serviceDone(s, "api")() }) {
		t.Fatalf("drain did not finish after scale-out:\n%s", eventsText(describeService(t, s, "api")))
	}
}

func TestECSInstanceGoneWithTasks(t *testing.T) {
	s := newTestSim(t, Options{}, drainWorld(3), spreadInstances(3, 2, 8192))
	cis := instanceArns(t, s)
	victim := aws.ToString(s.ecs.Instances[cis[0]].CI.Ec2InstanceId)
	on := tasksOn(t, s, cis[0])
	s.ResetReport()
	s.mu.Lock()
	svcTasks, all := s.ecsInstanceTaskCount(victim)
	s.ecsInstanceGone(victim)
	s.mu.Unlock()
	if all != len(on) || svcTasks == 0 {
		t.Fatalf("task count %d/%d, listed %d", svcTasks, all, len(on))
	}
	rep := s.Report()
	if len(rep.TerminatedWithTasks) != 1 || rep.TerminatedWithTasks[0].InstanceID != victim || len(rep.TerminatedWithTasks[0].ServiceTasks) != svcTasks {
		t.Fatalf("termination record: %+v", rep.TerminatedWithTasks)
	}
	d := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{aws.ToString(on[0].TaskArn)}})
	if tk := d.Tasks[0]; aws.ToString(tk.LastStatus) != "STOPPED" || aws.ToString(tk.StoppedReason) != "Host EC2 (instance "+victim+") terminated." {
		t.Fatalf("task on the gone instance: %s %q", aws.ToString(tk.LastStatus), aws.ToString(tk.StoppedReason))
	}
	ci := mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: cis[:1]}).ContainerInstances[0]
	if aws.ToString(ci.Status) != "INACTIVE" || ci.AgentConnected {
		t.Fatalf("container instance: %s connected=%v", aws.ToString(ci.Status), ci.AgentConnected)
	}
	if !s.RunUntil(20*time.Minute, 5*time.Second, func() bool { return serviceDone(s, "api")() && serviceDone(s, "worker")() }) {
		t.Fatalf("services not replaced:\n%s", eventsText(describeService(t, s, "api")))
	}
	if len(s.Report().Violations) == 0 {
		t.Fatal("losing tasks without draining should show below minimum healthy")
	}
}

// An AMI rotation as ecsctl does it: new instances join, the old ones are
// drained together, then terminated once empty. Nothing may drop below the
// minimum and no instance may go with service tasks on it.
func TestECSRotationScenario(t *testing.T) {
	w := drainWorld(3)
	w.Clusters[0].Services = append(w.Clusters[0].Services, ServiceSpec{Name: "agent", Daemon: true,
		Containers: []ContainerSpec{{Name: "agent", Image: "agent:v1", CPU: 64, Memory: 64}}})
	s := newTestSim(t, Options{}, w, spreadInstances(3, 2, 8192))
	old := instanceArns(t, s)
	s.ResetReport()
	s.mu.Lock()
	for _, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		s.ecsRegisterInstance(InstanceInfo{InstanceID: "i-0new" + az[len(az)-1:], Cluster: "prod", AvailabilityZone: az,
			InstanceType: "m5.large", ImageID: "ami-0new", VCPU: 2, MemoryMiB: 8192, ASGName: "prod-asg"})
	}
	s.mu.Unlock()
	fresh := mustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod"),
		Filter: aws.String("attribute:ecs.ami-id == ami-0new")})
	if len(fresh.ContainerInstanceArns) != 3 {
		t.Fatalf("new instances: %v", fresh.ContainerInstanceArns)
	}
	mustCall(t, s, (*Sim).ecsUpdateContainerInstancesState, &ecs.UpdateContainerInstancesStateInput{
		Cluster: aws.String("prod"), ContainerInstances: old, Status: types.ContainerInstanceStatusDraining})
	empty := func() bool {
		for _, ci := range old {
			for ta := range s.ecs.instTasks[ci] {
				if tk := s.ecs.Tasks[ta]; tk.Service != "" {
					return false
				}
			}
		}
		return true
	}
	if !s.RunUntil(time.Hour, 10*time.Second, empty) {
		t.Fatalf("old instances never emptied:\n%s", eventsText(describeService(t, s, "api")))
	}
	s.mu.Lock()
	for _, ci := range old {
		s.ecsInstanceGone(aws.ToString(s.ecs.Instances[ci].CI.Ec2InstanceId))
	}
	s.mu.Unlock()
	if !s.RunUntil(10*time.Minute, 10*time.Second, func() bool {
		return serviceDone(s, "api")() && serviceDone(s, "worker")() && serviceDone(s, "agent")()
	}) {
		t.Fatal("services not steady after the rotation")
	}
	rep := s.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Fatalf("violations %v terminated %+v killed %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
	if svc := describeService(t, s, "agent"); svc.RunningCount != 3 {
		t.Fatalf("daemon tasks on the new instances: %d", svc.RunningCount)
	}
}
