package sim

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Scenario tests of the cluster in motion, driven through the real SDK
// clients over HTTP, on a manual clock the test moves.

type scenarioEnv struct {
	t   *testing.T
	s   *Sim
	ecs *ecs.Client
	asg *autoscaling.Client
	ec2 *ec2.Client
	ctx context.Context
}

func newScenarioEnv(t *testing.T, world string) *scenarioEnv {
	t.Helper()
	w, err := BuiltinWorld(world)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{ManualClock: true, Seed: 11, Start: time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC), PageSize: 4})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), BaseEndpoint: aws.String(srv.URL), HTTPClient: NewSDKHTTPClient()}
	return &scenarioEnv{t: t, s: s, ecs: ecs.NewFromConfig(cfg), asg: autoscaling.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg), ctx: context.Background()}
}

func (e *scenarioEnv) instances(cluster string) []ecstypes.ContainerInstance {
	e.t.Helper()
	var arns []string
	p := ecs.NewListContainerInstancesPaginator(e.ecs, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		arns = append(arns, page.ContainerInstanceArns...)
	}
	out, err := e.ecs.DescribeContainerInstances(e.ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: arns})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.ContainerInstances
}

func (e *scenarioEnv) service(cluster, name string) ecstypes.Service {
	e.t.Helper()
	out, err := e.ecs.DescribeServices(e.ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		e.t.Fatalf("describe %s: %v", name, err)
	}
	return out.Services[0]
}

func (e *scenarioEnv) group(name string) asgtypes.AutoScalingGroup {
	e.t.Helper()
	out, err := e.asg.DescribeAutoScalingGroups(e.ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		e.t.Fatalf("describe group %s: %v", name, err)
	}
	return out.AutoScalingGroups[0]
}

// until advances the clock in steps until cond holds (or fails after max).
func (e *scenarioEnv) until(what string, max, step time.Duration, cond func() bool) {
	e.t.Helper()
	for waited := time.Duration(0); !cond(); waited += step {
		if waited >= max {
			e.t.Fatalf("%s: not within %s of virtual time", what, max)
		}
		e.s.Advance(step)
	}
}

func TestScenarioDrainingMovesTasksWithinMinimumHealthy(t *testing.T) {
	e := newScenarioEnv(t, "small")
	// Drain the instance running the most tasks.
	var victim ecstypes.ContainerInstance
	for _, ci := range e.instances("small") {
		if ci.RunningTasksCount > victim.RunningTasksCount {
			victim = ci
		}
	}
	if victim.RunningTasksCount < 2 {
		t.Fatalf("no instance runs tasks: %+v", victim)
	}
	e.s.ResetReport()
	if _, err := e.ecs.UpdateContainerInstancesState(e.ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("small"),
		ContainerInstances: []string{aws.ToString(victim.ContainerInstanceArn)}, Status: ecstypes.ContainerInstanceStatusDraining}); err != nil {
		t.Fatal(err)
	}
	// Wait on the tasks listed on the instance, not on runningTasksCount.
	e.until("drained", 30*time.Minute, 10*time.Second, func() bool {
		out, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{Cluster: aws.String("small"), ContainerInstance: victim.ContainerInstanceArn})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.TaskArns) == 0 {
			return true
		}
		tasks, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("small"), Tasks: out.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks.Tasks {
			if !strings.HasPrefix(aws.ToString(task.Group), "service:") {
				continue // standalone tasks are not moved by a drain
			}
			if aws.ToString(task.LastStatus) != "STOPPED" {
				return false
			}
		}
		return true
	})
	for _, name := range []string{"api", "worker", "web"} {
		svc := e.service("small", name)
		if svc.RunningCount != svc.DesiredCount {
			t.Errorf("%s: %d of %d running after the drain", name, svc.RunningCount, svc.DesiredCount)
		}
	}
	rep := e.s.Report()
	if len(rep.Violations) != 0 {
		t.Fatalf("services below minimum healthy while draining: %v %+v", rep.Violations, rep.Services)
	}
}

func TestScenarioDrainingWithoutSpareCapacityNeverFinishes(t *testing.T) {
	e := newScenarioEnv(t, "small")
	cis := e.instances("small")
	var drain []string
	for _, ci := range cis[:2] {
		drain = append(drain, aws.ToString(ci.ContainerInstanceArn))
	}
	if _, err := e.ecs.UpdateContainerInstancesState(e.ctx, &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String("small"),
		ContainerInstances: drain, Status: ecstypes.ContainerInstanceStatusDraining}); err != nil {
		t.Fatal(err)
	}
	e.s.Advance(45 * time.Minute)
	still := 0
	for _, ci := range e.instances("small") {
		if aws.ToString(ci.Status) == "DRAINING" {
			still += int(ci.RunningTasksCount)
		}
	}
	if still == 0 {
		t.Fatal("two of three instances drained although the third cannot hold their tasks")
	}
	unable := false
	for _, name := range []string{"api", "worker", "web"} {
		for _, ev := range e.service("small", name).Events {
			if strings.Contains(aws.ToString(ev.Message), "unable to place a task") {
				unable = true
			}
		}
	}
	if !unable {
		t.Fatal("no service says it was unable to place a task")
	}
}

func TestScenarioScaleOutLaunchesFromTheGroupsTemplateVersion(t *testing.T) {
	e := newScenarioEnv(t, "small")
	newAMIs := func() map[string]int {
		count := map[string]int{}
		for _, ci := range e.instances("small") {
			for _, a := range ci.Attributes {
				if aws.ToString(a.Name) == "ecs.ami-id" && aws.ToString(ci.Status) == "ACTIVE" {
					count[aws.ToString(a.Value)]++
				}
			}
		}
		return count
	}
	before := newAMIs()
	// small-ecs launches from $Latest: version 2, the new AMI.
	if _, err := e.asg.SetDesiredCapacity(e.ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("small-ecs"), DesiredCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	e.until("4 registered", 10*time.Minute, 15*time.Second, func() bool { return len(e.instances("small")) == 4 })
	after := newAMIs()
	if after[DemoNewAMI] != before[DemoNewAMI]+1 || after[DemoOldAMI] != before[DemoOldAMI] {
		t.Fatalf("AMIs %v → %v, want one more on %s", before, after, DemoNewAMI)
	}
	// Pin the group to version 1: the next instance comes up on the OLD AMI.
	if _, err := e.asg.UpdateAutoScalingGroup(e.ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("small-ecs"),
		LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("small-ecs"), Version: aws.String("1")}, DesiredCapacity: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	e.until("5 registered", 10*time.Minute, 15*time.Second, func() bool { return len(e.instances("small")) == 5 })
	if got := newAMIs(); got[DemoOldAMI] != before[DemoOldAMI]+1 {
		t.Fatalf("after pinning version 1: %v", got)
	}
	// Beyond max is refused as AWS does.
	_, err := e.asg.SetDesiredCapacity(e.ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("small-ecs"), DesiredCapacity: aws.Int32(7)})
	if err == nil || !strings.Contains(err.Error(), "ValidationError") {
		t.Fatalf("desired above max: %v", err)
	}
}

func TestScenarioAZRebalanceTerminatesWithoutDrainingUnlessSuspended(t *testing.T) {
	for _, suspend := range []bool{false, true} {
		e := newScenarioEnv(t, "small")
		if suspend {
			if _, err := e.asg.SuspendProcesses(e.ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("small-ecs"), ScalingProcesses: []string{"AZRebalance"}}); err != nil {
				t.Fatal(err)
			}
		}
		// Six instances, two per zone; then remove both of one zone with
		// decrement: four instances in two zones is unbalanced for three.
		if _, err := e.asg.SetDesiredCapacity(e.ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("small-ecs"), DesiredCapacity: aws.Int32(6)}); err != nil {
			t.Fatal(err)
		}
		e.until("6 in service", 10*time.Minute, 15*time.Second, func() bool {
			n := 0
			for _, i := range e.group("small-ecs").Instances {
				if i.LifecycleState == asgtypes.LifecycleStateInService {
					n++
				}
			}
			return n == 6 && len(e.instances("small")) == 6
		})
		var zoneA []string
		for _, i := range e.group("small-ecs").Instances {
			if aws.ToString(i.AvailabilityZone) == "us-east-1a" {
				zoneA = append(zoneA, aws.ToString(i.InstanceId))
			}
		}
		if len(zoneA) != 2 {
			t.Fatalf("zone a holds %v", zoneA)
		}
		e.s.ResetReport()
		for _, id := range zoneA {
			if _, err := e.asg.TerminateInstanceInAutoScalingGroup(e.ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)}); err != nil {
				t.Fatal(err)
			}
		}
		e.s.Advance(20 * time.Minute)
		rebalanced := false
		for _, entry := range e.s.Report().Timeline {
			if entry.Kind == "asg.terminate" && strings.Contains(entry.Detail, "AZRebalance") {
				rebalanced = true
			}
		}
		if rebalanced == suspend {
			t.Fatalf("suspended=%v: AZRebalance terminated=%v", suspend, rebalanced)
		}
	}
}
