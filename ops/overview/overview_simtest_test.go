package overview_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"ecsctl/ops/overview"
	"ecsctl/sim/simtest"
)

// The overviews' reads against the demo world's account (package simtest:
// real SDK clients over HTTP), with pages of 5: every List call is followed
// page by page, while the Describe calls stay batched at the API limits.
// (A cmd end-to-end test before; cmd keeps the goldens of the text and
// JSON output.)
func TestSimOverviewCallsWithinLimitsAndEveryPageFollowed(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "demo", simtest.Options{Seed: 11, PageSize: 5, Settle: 3 * time.Minute,
		Start: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)})
	o := &overview.Reader{ECS: ecs.NewFromConfig(sb.Config), EC2: ec2.NewFromConfig(sb.Config), ASG: autoscaling.NewFromConfig(sb.Config),
		CW: cloudwatch.NewFromConfig(sb.Config), ELB: elasticloadbalancingv2.NewFromConfig(sb.Config), Clock: sb.Clock}
	cases := []struct {
		name string
		read func(ctx context.Context) (int, error)
		// rows is how many rows the read returns.
		rows int
		want map[string]int
	}{
		// prod: 90 services, 318 tasks, 50 instances.
		{"services prod", func(ctx context.Context) (int, error) { r, err := o.Services(ctx, "prod"); return len(r), err }, 90, map[string]int{
			"ecs.DescribeClusters": 1, "ecs.ListServices": 18, "ecs.DescribeServices": 9,
			"ecs.ListTasks": 64, "ecs.DescribeTasks": 4, "cloudwatch.GetMetricData": 1}},
		{"instances prod", func(ctx context.Context) (int, error) { r, err := o.Instances(ctx, "prod"); return len(r), err }, 50, map[string]int{
			"ecs.DescribeClusters": 1, "ecs.ListContainerInstances": 10, "ecs.DescribeContainerInstances": 1,
			"ec2.DescribeInstances": 1, "autoscaling.DescribeAutoScalingGroups": 1, "ec2.DescribeLaunchTemplateVersions": 1}},
		{"clusters", func(ctx context.Context) (int, error) { r, err := o.Clusters(ctx, nil); return len(r), err }, -1, map[string]int{
			"ecs.ListClusters": 1, "ecs.DescribeClusters": 1, "ecs.ListContainerInstances": 11,
			"ecs.DescribeContainerInstances": 2, "cloudwatch.GetMetricData": 1}},
	}
	for _, tc := range cases {
		sb.Sim.ResetRequests()
		n, err := tc.read(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.rows >= 0 && n != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.name, n, tc.rows)
		}
		want := 0
		for _, v := range tc.want {
			want += v
		}
		got := countsOnceLogged(sb, want)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s called %d times, want %d (all: %v)", tc.name, k, got[k], v, got)
			}
		}
		if total := sumCounts(got); total != want {
			t.Errorf("%s: %d calls in all, want %d: %v", tc.name, total, want, got)
		}
	}
	if m := sb.Sim.MutatingRequests(); len(m) != 0 {
		t.Errorf("read-only overviews mutated: %v", m)
	}
}

func sumCounts(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}

// countsOnceLogged is the sandbox's request counts once at least want
// calls are in its log (or after a real-time bound): the sandbox logs a
// call just after writing its answer, so the read can return before its
// last call is logged.
func countsOnceLogged(sb *simtest.Sandbox, want int) map[string]int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := sb.Sim.RequestCounts()
		if sumCounts(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(time.Millisecond)
	}
}
