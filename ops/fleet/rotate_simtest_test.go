package fleet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// A whole rotate-ami of the small world (two instances on the old AMI, one
// on the new) in virtual time: new instances boot, the old ones drain and
// leave, and the group ends as it began.
func TestSimRotateSmallReplacesTheOldAMIInstances(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	before := c.group("small-ecs")
	var old []string
	for _, ci := range c.instances("small") {
		if amiOf(ci.Attributes) == sim.DemoOldAMI {
			old = append(old, aws.ToString(ci.Ec2InstanceId))
		}
	}
	if len(old) != 2 {
		t.Fatalf("%d instances on the old AMI, want the small world's 2", len(old))
	}
	sb.Sim.ResetReport()
	start := sb.Clock.Now()

	r := &fleet.Rotator{ECS: c.ecs, ASG: c.asg, EC2: c.ec2, SSM: ssm.NewFromConfig(sb.Config), ELB: elasticloadbalancingv2.NewFromConfig(sb.Config), Clock: sb.Clock}
	res, err := r.Rotate(t.Context(), fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Surge: -1})
	if err != nil {
		t.Fatalf("rotate: %v (%+v)", err, res)
	}
	if res.Outcome != fleet.RotateCompleted || len(res.Replaced) != 2 || res.Plan.TargetAMI != sim.DemoNewAMI {
		t.Fatalf("outcome %s (%s), replaced %v, target %s", res.Outcome, res.Reason, res.Replaced, res.Plan.TargetAMI)
	}
	for _, id := range old {
		if !strings.Contains(strings.Join(res.Replaced, " "), id) {
			t.Errorf("%s not in the replaced %v", id, res.Replaced)
		}
	}
	if took := sb.Clock.Now().Sub(start); took < 5*time.Minute {
		t.Errorf("rotation took %s of account time, less than the deregistration delay", took)
	}

	// The group is back to its shape with nothing of ecsctl's left on it,
	// and every container instance is ACTIVE on the new AMI.
	g := c.group("small-ecs")
	if *g.DesiredCapacity != *before.DesiredCapacity || *g.MinSize != *before.MinSize || *g.MaxSize != *before.MaxSize {
		t.Errorf("group desired/min/max %d/%d/%d, want %d/%d/%d", *g.DesiredCapacity, *g.MinSize, *g.MaxSize,
			*before.DesiredCapacity, *before.MinSize, *before.MaxSize)
	}
	if len(g.SuspendedProcesses) != 0 {
		t.Errorf("processes left suspended: %+v", g.SuspendedProcesses)
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on the group: %s", aws.ToString(tg.Key))
		}
	}
	byState := map[string]int{}
	for _, ci := range c.instances("small") {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["ACTIVE "+sim.DemoNewAMI] != int(*before.DesiredCapacity) || byState["ACTIVE "+sim.DemoOldAMI] != 0 || byState["DRAINING "+sim.DemoOldAMI] != 0 {
		t.Errorf("container instances by status and AMI: %v", byState)
	}
	// Every service task runs on a new-AMI instance.
	active := map[string]bool{}
	for _, ci := range c.instances("small") {
		if aws.ToString(ci.Status) == "ACTIVE" {
			active[aws.ToString(ci.ContainerInstanceArn)] = true
		}
	}
	for _, tk := range c.tasks("small") {
		if strings.HasPrefix(aws.ToString(tk.Group), "service:") && !active[aws.ToString(tk.ContainerInstanceArn)] {
			t.Errorf("task %s of %s is not on an ACTIVE new instance", aws.ToString(tk.TaskArn), aws.ToString(tk.Group))
		}
	}
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: %+v %+v %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

func amiOf(attrs []types.Attribute) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == "ecs.ami-id" {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// The same rotation in two sandboxes reports the same progress at the same
// account times and makes the same calls at the same account times (sorted:
// a few reads go out in parallel): nothing depends on real time.
func TestSimRotateIsDeterministic(t *testing.T) {
	t.Parallel()
	trace := func() string {
		sb := simtest.Start(t, "small", simtest.Options{})
		var lines []string
		r := &fleet.Rotator{ECS: ecs.NewFromConfig(sb.Config), ASG: autoscaling.NewFromConfig(sb.Config), EC2: ec2.NewFromConfig(sb.Config),
			SSM: ssm.NewFromConfig(sb.Config), ELB: elasticloadbalancingv2.NewFromConfig(sb.Config), Clock: sb.Clock,
			Progress: func(ev ops.Event) { lines = append(lines, ev.Time.Format(time.RFC3339)+" "+ev.Message) }}
		res, err := r.Rotate(t.Context(), fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Surge: -1})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, "outcome "+res.Outcome+" replaced "+strings.Join(res.Replaced, ","))
		var reqs []string
		for _, rq := range sb.Sim.Requests() {
			reqs = append(reqs, rq.Virtual.Format(time.RFC3339Nano)+" "+rq.Service+"."+rq.Op)
		}
		slices.Sort(reqs)
		return strings.Join(append(lines, reqs...), "\n")
	}
	a, b := trace(), trace()
	if a != b {
		t.Fatalf("two runs differ:\n%s\n---\n%s", a, b)
	}
}
