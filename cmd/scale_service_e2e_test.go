package cmd

import (
	"context"
	"ecsctl/ops/overview"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func scaleServiceArgs(extra ...string) []string {
	return append([]string{"scale", "service", "-c", "small", "--poll-interval", "20ms", "-o", "json"}, extra...)
}

func decodeScaleService(t *testing.T, stdout string) overview.ScaleServiceResult {
	t.Helper()
	var r overview.ScaleServiceResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, stdout)
	}
	return r
}

func (sb *sandbox) scaleServiceAASBounds(cluster, service string) (int32, int32) {
	sb.t.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	out, err := applicationautoscaling.NewFromConfig(cfg).DescribeScalableTargets(context.Background(), &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{"service/" + cluster + "/" + service}})
	if err != nil || len(out.ScalableTargets) != 1 {
		sb.t.Fatalf("describe scalable target: %v %+v", err, out)
	}
	return aws.ToInt32(out.ScalableTargets[0].MinCapacity), aws.ToInt32(out.ScalableTargets[0].MaxCapacity)
}

func TestE2EScaleServiceAutoscalingBounds(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	// api's Application Auto Scaling keeps it within 2-10: above the max is
	// refused, naming both ways out, and nothing changes.
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, scaleServiceArgs("-s", "api", "--count", "12")...)
	want := "ecsctl: --count 12 is above the Application Auto Scaling max of 10 for small/api, which would move it back: add --update-autoscaling to change the bounds to 2-12, or --outside-autoscaling to set 12 for now anyway\n"
	if code != ExitUsage || stderr != want || stdout != "" {
		t.Fatalf("exit %d\nstdout %s\nstderr %q\nwant   %q", code, stdout, stderr, want)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("a refused scale mutated: %v", m)
	}
	// --outside-autoscaling sets it for now, and warns once.
	code, stdout, stderr = run(t, "scale", "service", "-c", "small", "-s", "api", "--count", "12", "--outside-autoscaling")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stdout+stderr, "between 2 and 10"); n != 1 {
		t.Errorf("the warning is printed %d times:\n%s\n%s", n, stdout, stderr)
	}
	if svc := sb.service("small", "api"); svc.DesiredCount != 12 {
		t.Errorf("desired %d, want 12", svc.DesiredCount)
	}
	if lo, hi := sb.scaleServiceAASBounds("small", "api"); lo != 2 || hi != 10 {
		t.Errorf("bounds moved without --update-autoscaling: %d-%d", lo, hi)
	}
	var res overview.ScaleServiceResult
	code, stdout, stderr = run(t, scaleServiceArgs("-s", "api", "--count", "1", "--update-autoscaling", "--wait")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res = decodeScaleService(t, stdout)
	if res.AutoscalingUpdated == nil || res.AutoscalingUpdated.Min != 1 || res.AutoscalingUpdated.Max != 10 || res.Warning != "" {
		t.Fatalf("bounds not updated: %+v", res)
	}
	if lo, hi := sb.scaleServiceAASBounds("small", "api"); lo != 1 || hi != 10 {
		t.Errorf("bounds %d-%d, want 1-10", lo, hi)
	}
	if svc := sb.service("small", "api"); svc.DesiredCount != 1 || svc.RunningCount != 1 {
		t.Errorf("desired %d running %d", svc.DesiredCount, svc.RunningCount)
	}
}

func TestE2EScaleServiceBadInputChangesNothing(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{scaleServiceArgs("-s", "api", "--count", "-1"), ExitUsage, "invalid --count -1"},
		{scaleServiceArgs("-s", "api", "--count", "three"), ExitUsage, `invalid value "three" for --count`},
		{scaleServiceArgs("-s", "api", "--count", "9000"), ExitUsage, "at most 5000"},
		{scaleServiceArgs("-s", "api"), ExitUsage, "missing --count"},
		{scaleServiceArgs("--count", "3"), ExitUsage, "missing --service"},
		{scaleServiceArgs("-s", "api", "--count", "3", "--wait", "--timeout", "0s"), ExitUsage, "invalid --timeout"},
	}
	for _, tc := range cases {
		code, stdout, stderr := run(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want %d and %q on one line", tc.args, code, stderr, stdout, tc.code, tc.want)
		}
	}
	if reqs := sb.sim.Requests(); len(reqs) != 0 {
		t.Errorf("bad input reached AWS: %d requests, first %s.%s", len(reqs), reqs[0].Service, reqs[0].Op)
	}
	code, stdout, stderr := run(t, scaleServiceArgs("-s", "api", "--count", "7", "--dry-run")...)
	if code != ExitOK || decodeScaleService(t, stdout).Outcome != "dry-run" || !strings.Contains(stderr, "would set desired count 3 → 7") {
		t.Errorf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutations: %v", m)
	}
}

func TestE2EScaleServiceUnknownNamesExit3(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scale", "service", "-c", "small", "-s", "nosuch", "--count", "2"}, "service small/nosuch not found"},
		{[]string{"scale", "service", "-c", "nocluster", "-s", "api", "--count", "2"}, "cluster nocluster not found"},
		{[]string{"services", "-c", "nocluster"}, "cluster nocluster not found"},
		{[]string{"instances", "-c", "nocluster"}, "cluster nocluster not found"},
		{[]string{"clusters", "-c", "nocluster"}, "cluster nocluster not found"},
		{[]string{"status", "-c", "small", "-s", "nosuch"}, "service small/nosuch not found"},
		{[]string{"events", "-c", "small", "-s", "nosuch"}, "service small/nosuch not found"},
		{[]string{"events", "-c", "nocluster", "-s", "api"}, "cluster nocluster not found"},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != ExitAWS || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 3 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutations: %v", m)
	}
}

func TestE2EScaleServiceTimeoutExit124(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	// More tasks than the cluster can place: the service never gets there.
	code, stdout, stderr := run(t, "scale", "service", "-c", "small", "-s", "worker", "--count", "400", "--wait", "--timeout", "1ms", "--poll-interval", "1h", "-o", "json")
	if code != ExitTimeout {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if res := decodeScaleService(t, stdout); res.Outcome != "timed-out" {
		t.Errorf("outcome %+v", res)
	}
	if svc := sb.service("small", "worker"); svc.DesiredCount != 400 {
		t.Errorf("desired %d", svc.DesiredCount)
	}
}

// A load-balanced service is steady only once its new targets are healthy.
func TestE2EScaleServiceWaitsForHealthyTargets(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	sb.waitSteady("small", "api")
	code, stdout, stderr := run(t, scaleServiceArgs("-s", "api", "--count", "6", "--wait")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "in initial health checks") {
		t.Errorf("did not wait for target health:\n%s", stderr)
	}
	code, stdout, stderr = run(t, "status", "-c", "small", "-s", "api", "-o", "json")
	if code != ExitOK {
		t.Fatalf("status: exit %d %s", code, stderr)
	}
	var st overview.ServiceStatus
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Tasks) != 6 {
		t.Fatalf("%d tasks", len(st.Tasks))
	}
	for _, tk := range st.Tasks {
		if tk.TargetHealth != "healthy" || tk.InstanceID == "" || tk.AZ == "" || tk.LastStatus != "RUNNING" {
			t.Errorf("task right after scale --wait: %+v", tk)
		}
	}
}
