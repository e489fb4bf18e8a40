package overview_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"ecsctl/ops"
	"ecsctl/ops/overview"
	"ecsctl/sim/simtest"
)

// Scaling a service against the sandbox in virtual time (package
// simtest): the real SDK clients over HTTP, the account's clock moved only
// by the scaler's own waits (they were cmd end-to-end tests at 600×
// speed; cmd keeps the flags, the refusals' wording and the exit codes).

var _ ops.Clock = (*simtest.Clock)(nil)

// scaleLog collects a scaler's progress messages.
type scaleLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *scaleLog) event(ev ops.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, ev.Message)
}

func (l *scaleLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}

// simScaler is a ServiceScaler wired the way `ecsctl scale service` wires
// it, with the sandbox's clients and clock and the default poll interval.
func simScaler(sb *simtest.Sandbox) (*overview.ServiceScaler, *ecs.Client, *scaleLog) {
	c := ecs.NewFromConfig(sb.Config)
	log := &scaleLog{}
	return &overview.ServiceScaler{ECS: c, AAS: applicationautoscaling.NewFromConfig(sb.Config), ELB: elasticloadbalancingv2.NewFromConfig(sb.Config),
		Clock: sb.Clock, Progress: log.event}, c, log
}

func simService(t *testing.T, c *ecs.Client, cluster, name string) types.Service {
	t.Helper()
	out, err := c.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service %s/%s: %v %+v", cluster, name, err, out)
	}
	return out.Services[0]
}

func simMutations(sb *simtest.Sandbox) []string {
	var out []string
	for _, r := range sb.Sim.MutatingRequests() {
		out = append(out, r.Service+"."+r.Op)
	}
	return out
}

func TestSimScaleServiceUpAndDownWithWait(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	s, c, log := simScaler(sb)
	sb.Sim.ResetReport()
	for _, n := range []int{5, 1} {
		res, err := s.Scale(t.Context(), overview.ScaleServiceRequest{Cluster: "small", Service: "worker", Count: n, Wait: true, Timeout: 10 * time.Minute})
		if err != nil {
			t.Fatalf("scale to %d: %v", n, err)
		}
		if res.Outcome != "steady" || res.To != n || res.Running != n || !res.Waited {
			t.Fatalf("scale to %d: %+v", n, res)
		}
		svc := simService(t, c, "small", "worker")
		if svc.DesiredCount != int32(n) || svc.RunningCount != int32(n) || svc.PendingCount != 0 {
			t.Fatalf("sandbox after scale to %d: desired %d running %d pending %d", n, svc.DesiredCount, svc.RunningCount, svc.PendingCount)
		}
		if want := fmt.Sprintf("steady at %d running", n); !strings.Contains(log.text(), want) {
			t.Errorf("progress never said %q:\n%s", want, log.text())
		}
	}
	m := simMutations(sb)
	for _, op := range m {
		if op != "ecs.UpdateService" {
			t.Errorf("unexpected mutation %s", op)
		}
	}
	if len(m) != 2 {
		t.Errorf("%d mutating calls, want 2 UpdateService: %v", len(m), m)
	}
	if rep := sb.Sim.Report(); len(rep.TerminatedWithTasks) != 0 || len(rep.Violations) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants: %+v", rep)
	}
}

// A load-balanced service is steady only once its new targets are healthy.
func TestSimScaleServiceWaitsForHealthyTargets(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	s, c, log := simScaler(sb)
	res, err := s.Scale(t.Context(), overview.ScaleServiceRequest{Cluster: "small", Service: "api", Count: 6, Wait: true, Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "steady" || res.Running != 6 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(log.text(), "in initial health checks") {
		t.Errorf("did not wait for target health:\n%s", log.text())
	}
	// Every target of the service is healthy when the scaler says steady.
	svc := simService(t, c, "small", "api")
	elb := elasticloadbalancingv2.NewFromConfig(sb.Config)
	healthy := 0
	for _, lb := range svc.LoadBalancers {
		out, err := elb.DescribeTargetHealth(t.Context(), &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: lb.TargetGroupArn})
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range out.TargetHealthDescriptions {
			if th.TargetHealth != nil && th.TargetHealth.State == "healthy" {
				healthy++
			} else if th.TargetHealth != nil {
				t.Errorf("target %s is %s right after the wait", aws.ToString(th.Target.Id), th.TargetHealth.State)
			}
		}
	}
	if len(svc.LoadBalancers) == 0 || healthy < 6 {
		t.Errorf("%d healthy targets behind %d load balancer(s), want 6", healthy, len(svc.LoadBalancers))
	}
}

func aasBounds(t *testing.T, sb *simtest.Sandbox, cluster, service string) (int32, int32) {
	t.Helper()
	out, err := applicationautoscaling.NewFromConfig(sb.Config).DescribeScalableTargets(t.Context(), &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{"service/" + cluster + "/" + service}})
	if err != nil || len(out.ScalableTargets) != 1 {
		t.Fatalf("describe scalable target: %v %+v", err, out)
	}
	return aws.ToInt32(out.ScalableTargets[0].MinCapacity), aws.ToInt32(out.ScalableTargets[0].MaxCapacity)
}

// api's Application Auto Scaling keeps it within 2-10: a count above the
// max is refused and changes nothing; OutsideAutoscaling sets it for now
// with a warning and leaves the bounds; UpdateAutoscaling moves them.
func TestSimScaleServiceAutoscalingBounds(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	s, c, _ := simScaler(sb)
	var input *ops.InputError
	if _, err := s.Scale(t.Context(), overview.ScaleServiceRequest{Cluster: "small", Service: "api", Count: 12}); !errors.As(err, &input) {
		t.Fatalf("count 12 above the max of 10: err %v, want bad input", err)
	}
	if m := simMutations(sb); len(m) != 0 {
		t.Fatalf("a refused scale mutated: %v", m)
	}
	res, err := s.Scale(t.Context(), overview.ScaleServiceRequest{Cluster: "small", Service: "api", Count: 12, OutsideAutoscaling: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Warning, "between 2 and 10") || res.Autoscaling == nil || res.Autoscaling.Min != 2 || res.Autoscaling.Max != 10 {
		t.Errorf("outside the bounds: %+v", res)
	}
	if svc := simService(t, c, "small", "api"); svc.DesiredCount != 12 {
		t.Errorf("desired %d, want 12", svc.DesiredCount)
	}
	if lo, hi := aasBounds(t, sb, "small", "api"); lo != 2 || hi != 10 {
		t.Errorf("bounds moved without UpdateAutoscaling: %d-%d", lo, hi)
	}
	res, err = s.Scale(t.Context(), overview.ScaleServiceRequest{Cluster: "small", Service: "api", Count: 1, UpdateAutoscaling: true, Wait: true, Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.AutoscalingUpdated == nil || res.AutoscalingUpdated.Min != 1 || res.AutoscalingUpdated.Max != 10 || res.Warning != "" || res.Outcome != "steady" {
		t.Fatalf("bounds not updated: %+v", res)
	}
	if lo, hi := aasBounds(t, sb, "small", "api"); lo != 1 || hi != 10 {
		t.Errorf("bounds %d-%d, want 1-10", lo, hi)
	}
	if svc := simService(t, c, "small", "api"); svc.DesiredCount != 1 || svc.RunningCount != 1 {
		t.Errorf("desired %d running %d", svc.DesiredCount, svc.RunningCount)
	}
}
