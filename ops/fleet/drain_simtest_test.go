package fleet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/sim/simtest"
)

// Draining against the sandbox in virtual time (package simtest): the real
// SDK clients over HTTP, the account's clock moved only by the Drainer's
// own waits, so the 300 s deregistration delay of the load-balanced
// services passes in milliseconds and always the same way.

var _ ops.Clock = (*simtest.Clock)(nil)

// simCluster is what a drain test reads of the sandbox's cluster.
type simCluster struct {
	t   *testing.T
	ecs *ecs.Client
	asg *autoscaling.Client
	ec2 *ec2.Client
}

func (c simCluster) instances(cluster string) []types.ContainerInstance {
	c.t.Helper()
	var arns []string
	p := ecs.NewListContainerInstancesPaginator(c.ecs, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(c.t.Context())
		if err != nil {
			c.t.Fatal(err)
		}
		arns = append(arns, page.ContainerInstanceArns...)
	}
	out, err := c.ecs.DescribeContainerInstances(c.t.Context(), &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: arns})
	if err != nil {
		c.t.Fatal(err)
	}
	return out.ContainerInstances
}

// tasks are the cluster's tasks whose desired status is RUNNING.
func (c simCluster) tasks(cluster string) []types.Task {
	c.t.Helper()
	var arns []string
	p := ecs.NewListTasksPaginator(c.ecs, &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: types.DesiredStatusRunning})
	for p.HasMorePages() {
		page, err := p.NextPage(c.t.Context())
		if err != nil {
			c.t.Fatal(err)
		}
		arns = append(arns, page.TaskArns...)
	}
	var out []types.Task
	for chunk := range slices.Chunk(arns, 100) {
		d, err := c.ecs.DescribeTasks(c.t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: chunk})
		if err != nil {
			c.t.Fatal(err)
		}
		out = append(out, d.Tasks...)
	}
	return out
}

func TestSimDrainMovesServiceTasksAndTerminatesTheInstance(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}

	// The instance with the most service tasks, load-balanced ones among them.
	perInstance := map[string]int{}
	var victimArn string
	for _, tk := range c.tasks("small") {
		if strings.HasPrefix(aws.ToString(tk.Group), "service:") {
			a := aws.ToString(tk.ContainerInstanceArn)
			perInstance[a]++
			if victimArn == "" || perInstance[a] > perInstance[victimArn] || perInstance[a] == perInstance[victimArn] && a < victimArn {
				victimArn = a
			}
		}
	}
	var victim string
	for _, ci := range c.instances("small") {
		if aws.ToString(ci.ContainerInstanceArn) == victimArn {
			victim = aws.ToString(ci.Ec2InstanceId)
		}
	}
	if victim == "" || perInstance[victimArn] < 2 {
		t.Fatalf("no instance with service tasks to drain: %v", perInstance)
	}
	// A rotation step: one instance more first (the group is at its
	// minimum, so AWS refuses to terminate with a decrement below it), then
	// the old one drained onto the rest.
	groupBefore := c.group("small-ecs")
	if _, err := c.asg.SetDesiredCapacity(t.Context(), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("small-ecs"),
		DesiredCapacity: aws.Int32(*groupBefore.DesiredCapacity + 1)}); err != nil {
		t.Fatal(err)
	}
	for active := 0; active < int(*groupBefore.DesiredCapacity)+1; {
		if sb.Clock.Now().Sub(simtest.DefaultStart) > time.Hour {
			t.Fatalf("the new instance never registered: %d ACTIVE", active)
		}
		<-sb.Clock.After(10 * time.Second)
		active = 0
		for _, ci := range c.instances("small") {
			if aws.ToString(ci.Status) == "ACTIVE" {
				active++
			}
		}
	}
	groupBefore = c.group("small-ecs")
	sb.Sim.ResetReport()
	start := sb.Clock.Now()

	var events []ops.Event
	d := &fleet.Drainer{ECS: c.ecs, ASG: c.asg, ELB: elasticloadbalancingv2.NewFromConfig(sb.Config), Clock: sb.Clock,
		Progress: func(ev ops.Event) { events = append(events, ev) }}
	res, err := d.Drain(t.Context(), fleet.DrainBatch{Cluster: "small", ASG: "small-ecs", Instances: map[string]string{victim: victimArn},
		Standalone: fleet.StandaloneStop, Batch: 1, Batches: 1})
	if err != nil {
		t.Fatalf("drain: %v\nevents %+v", err, events)
	}
	if !slices.Equal(res.Instances, []string{victim}) || len(res.Services) == 0 {
		t.Errorf("result %+v", res)
	}
	if took := sb.Clock.Now().Sub(start); took < 300*time.Second {
		t.Errorf("drained in %s of account time, less than the deregistration delay", took)
	}

	// The instance left the group, whose desired capacity went down by one.
	group := c.group("small-ecs")
	if *group.DesiredCapacity != *groupBefore.DesiredCapacity-1 {
		t.Errorf("desired capacity %d → %d, want one less", *groupBefore.DesiredCapacity, *group.DesiredCapacity)
	}
	for _, gi := range group.Instances {
		// Terminating is how AWS lists it until the instance is gone.
		if aws.ToString(gi.InstanceId) == victim && !strings.HasPrefix(string(gi.LifecycleState), "Terminat") {
			t.Errorf("%s still in the group (%s)", victim, gi.LifecycleState)
		}
	}
	inst, err := c.ec2.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{victim}})
	if err != nil {
		t.Fatal(err)
	}
	if st := inst.Reservations[0].Instances[0].State.Name; st != ec2types.InstanceStateNameShuttingDown && st != ec2types.InstanceStateNameTerminated {
		t.Errorf("%s is %s, want terminated", victim, st)
	}

	// Every service runs its desired count, none of it on the drained
	// instance; nothing was terminated with tasks on it and no service went
	// below its minimum healthy on the way.
	running := map[string]int{}
	for _, tk := range c.tasks("small") {
		if aws.ToString(tk.ContainerInstanceArn) == victimArn {
			t.Errorf("task %s (%s) still on the drained instance", aws.ToString(tk.TaskArn), aws.ToString(tk.Group))
		}
		if aws.ToString(tk.LastStatus) == "RUNNING" {
			running[aws.ToString(tk.Group)]++
		}
	}
	svcs, err := c.ecs.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("small"), Services: []string{"api", "worker", "web"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Services {
		if n := running["service:"+aws.ToString(s.ServiceName)]; n != int(s.DesiredCount) {
			t.Errorf("service %s: %d running, want %d", aws.ToString(s.ServiceName), n, s.DesiredCount)
		}
	}
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("invariants broken: %+v %+v", rep.Violations, rep.TerminatedWithTasks)
	}
	for key, r := range rep.Services {
		if r.MinHealthy < r.Required {
			t.Errorf("%s went below minimum healthy: %+v", key, r)
		}
	}
}

func (c simCluster) group(name string) asgtypes.AutoScalingGroup {
	c.t.Helper()
	out, err := c.asg.DescribeAutoScalingGroups(c.t.Context(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		c.t.Fatalf("describe group %s: %v", name, err)
	}
	return out.AutoScalingGroups[0]
}
