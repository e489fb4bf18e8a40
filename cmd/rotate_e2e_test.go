package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops"
	"ecsctl/sim"
)

func rotateArgs(cluster string, extra ...string) []string {
	return append([]string{"rotate-ami", "-c", cluster, "--poll-interval", "20ms", "-o", "json"}, extra...)
}

func decodeRotate(t *testing.T, stdout string) ops.RotateResult {
	t.Helper()
	var r ops.RotateResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, stdout)
	}
	return r
}

// rotateASG reads an Auto Scaling group through the SDK.
func (sb *sandbox) rotateASG(name string) *autoscaling.DescribeAutoScalingGroupsOutput {
	sb.t.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		sb.t.Fatalf("describe asg %s: %v", name, err)
	}
	return out
}

// rotateAMIs counts the cluster's container instances by status and AMI.
func (sb *sandbox) rotateAMIs(cluster string) map[string]int {
	sb.t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	p := ecs.NewListContainerInstancesPaginator(sb.ecs, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			sb.t.Fatal(err)
		}
		if len(page.ContainerInstanceArns) == 0 {
			continue
		}
		d, err := sb.ecs.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: page.ContainerInstanceArns})
		if err != nil {
			sb.t.Fatal(err)
		}
		for _, ci := range d.ContainerInstances {
			ami := ""
			for _, a := range ci.Attributes {
				if aws.ToString(a.Name) == "ecs.ami-id" {
					ami = aws.ToString(a.Value)
				}
			}
			out[aws.ToString(ci.Status)+" "+ami]++
		}
	}
	return out
}

// checkRotated asserts the end state of a completed prod rotation.
func (sb *sandbox) checkRotated(t *testing.T) {
	t.Helper()
	g := sb.rotateASG("prod-ecs").AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != 50 || aws.ToInt32(g.MinSize) != 45 || aws.ToInt32(g.MaxSize) != 60 {
		t.Errorf("asg desired/min/max = %d/%d/%d, want 50/45/60", aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize))
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on the group: %s=%s", aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
	}
	if len(g.SuspendedProcesses) != 0 {
		t.Errorf("processes left suspended: %+v", g.SuspendedProcesses)
	}
	for _, m := range g.Instances {
		if aws.ToBool(m.ProtectedFromScaleIn) {
			t.Errorf("instance %s left protected", aws.ToString(m.InstanceId))
		}
	}
	amis := sb.rotateAMIs("prod")
	if amis["ACTIVE "+sim.DemoNewAMI] != 50 || len(amis) != 1 {
		t.Errorf("container instances by status/AMI: %v, want 50 ACTIVE on the new AMI", amis)
	}
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, terminated with tasks %+v, killed %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

func TestE2ERotateDryRunPlansAndChangesNothing(t *testing.T) {
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("prod", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Outcome != ops.RotateDryRun || res.Plan.ASG != "prod-ecs" || res.Plan.TargetAMI != sim.DemoNewAMI || len(res.Plan.Instances) != 18 || res.Plan.Batches != 9 {
		t.Fatalf("plan: outcome %s asg %s ami %s instances %d batches %d", res.Outcome, res.Plan.ASG, res.Plan.TargetAMI, len(res.Plan.Instances), res.Plan.Batches)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("dry run made mutating calls: %v", m)
	}
	code, stdout, _ = run(t, "rotate-ami", "-c", "prod", "--dry-run")
	if code != ExitOK || !strings.Contains(stdout, "BATCH") || !strings.Contains(stdout, "expected final state: prod-ecs desired 50, min 45, max 60") {
		t.Errorf("text plan:\n%s", stdout)
	}
}

func TestE2ERotateDemoCompletes(t *testing.T) {
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetReport()
	code, stdout, stderr := run(t, rotateArgs("prod", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Outcome != ops.RotateCompleted || len(res.Replaced) != 18 {
		t.Fatalf("outcome %s replaced %d", res.Outcome, len(res.Replaced))
	}
	sb.checkRotated(t)
}
