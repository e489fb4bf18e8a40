package fleet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// phaseClock is a clock the test moves.
type phaseClock struct{ now time.Time }

func (c *phaseClock) Now() time.Time                         { return c.now }
func (c *phaseClock) After(d time.Duration) <-chan time.Time { c.now = c.now.Add(d); return nil }

// phaseELB answers the deregistration delay of every target group, or err.
type phaseELB struct {
	delay string
	err   error
	reads int
}

func (f *phaseELB) DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	return nil, errors.New("unexpected DescribeTargetHealth")
}

func (f *phaseELB) DescribeTargetGroupAttributes(context.Context, *elb.DescribeTargetGroupAttributesInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupAttributesOutput, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	return &elb.DescribeTargetGroupAttributesOutput{Attributes: []elbtypes.TargetGroupAttribute{
		{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(f.delay)}}}, nil
}

func TestDrainPhaseText(t *testing.T) {
	tests := []struct {
		name                    string
		n, moving, stopping     int
		delay                   time.Duration
		lb, delayKnown          bool
		elapsed, draining, move time.Duration
		want                    string
		wantLeft                time.Duration
		wantKnown               bool
	}{
		{"moving behind a load balancer", 3, 7, 0, 300 * time.Second, true, true, 10 * time.Second, 0, 40 * time.Second,
			"draining 3 instances · 7 tasks to move or stop · deregistration delay 300s", 330 * time.Second, true},
		{"moving took longer than the last batch", 1, 2, 0, 300 * time.Second, true, true, time.Minute, 0, 40 * time.Second,
			"draining 1 instance · 2 tasks to move or stop · deregistration delay 300s", 300 * time.Second, true},
		{"moved, draining", 3, 0, 7, 300 * time.Second, true, true, 2 * time.Minute, 60 * time.Second, 0,
			"draining 3 instances · 7 tasks stopping, their targets draining · deregistration delay 300s", 240 * time.Second, true},
		{"delay unreadable", 2, 4, 0, -1, true, false, 0, 0, 20 * time.Second,
			"draining 2 instances · 4 tasks to move or stop", 0, false},
		{"no load balancer", 2, 4, 0, 0, false, true, 5 * time.Second, 0, 20 * time.Second,
			"draining 2 instances · 4 tasks to move or stop", 15 * time.Second, true},
		{"no load balancer, stopping", 2, 0, 1, 0, false, true, time.Minute, 0, 0,
			"draining 2 instances · 1 task stopping", 0, false},
		{"nothing left on the batch", 2, 0, 0, 300 * time.Second, true, true, time.Minute, 0, 0, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, left, known := drainPhaseText(tc.n, tc.moving, tc.stopping, tc.delay, tc.lb, tc.delayKnown, tc.elapsed, tc.draining, tc.move)
			if text != tc.want || known != tc.wantKnown || known && left != tc.wantLeft {
				t.Errorf("got %q %s %v, want %q %s %v", text, left, known, tc.want, tc.wantLeft, tc.wantKnown)
			}
		})
	}
}

// Until this run has seen an instance boot the estimate is the usual 90 s;
// then it is what the run's own instances took.
func TestBootPhaseLearnsFromTheRun(t *testing.T) {
	seen := &runObserved{}
	text, left, known := bootPhase(2, 30*time.Second, seen)
	if text != "waiting for 2 new instances to boot and register (usually about 1m30s)" || left != time.Minute || !known {
		t.Errorf("before any: %q %s %v", text, left, known)
	}
	seen.boot, seen.bootSeen = 100*time.Second, true
	text, left, _ = bootPhase(1, 30*time.Second, seen)
	if text != "waiting for 1 new instance to boot and register (this run's took 1m40s)" || left != 70*time.Second {
		t.Errorf("after one: %q %s", text, left)
	}
	if _, left, _ := bootPhase(1, 5*time.Minute, seen); left != 0 {
		t.Errorf("past the estimate: %s left", left)
	}
}

// A batch's drain reads each target group's delay once, counts the drain
// from when no task was left running on the batch, and records how long
// the move took for the next batch's estimate (not when nothing moved).
func TestDrainPhaseOverABatch(t *testing.T) {
	clock := &phaseClock{now: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)}
	fe := &phaseELB{delay: "120"}
	seen := &runObserved{}
	d := &Drainer{ELB: fe, Clock: clock, seen: seen}
	svcs := []types.Service{
		{ServiceName: aws.String("api"), LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String("tg/api")}}},
		{ServiceName: aws.String("worker")},
	}
	b := DrainBatch{Instances: map[string]string{"i-1": "ci/1", "i-2": "ci/2"}}
	ph := &drainPhaseState{began: clock.Now(), delays: map[string]time.Duration{}}
	res := &DrainResult{moving: 5, svcs: svcs}
	text, left, known := d.drainPhase(context.Background(), b, res, ph)
	if text != "draining 2 instances · 5 tasks to move or stop · deregistration delay 120s" || left != 140*time.Second || !known {
		t.Errorf("moving: %q %s %v", text, left, known)
	}
	clock.After(50 * time.Second)
	res.moving, res.stopping = 0, 5
	text, left, _ = d.drainPhase(context.Background(), b, res, ph)
	if text != "draining 2 instances · 5 tasks stopping, their targets draining · deregistration delay 120s" || left != 120*time.Second {
		t.Errorf("draining: %q %s", text, left)
	}
	clock.After(30 * time.Second)
	if _, left, _ = d.drainPhase(context.Background(), b, res, ph); left != 90*time.Second || fe.reads != 1 {
		t.Errorf("30 s later: %s left, %d attribute reads (want 90s, 1)", left, fe.reads)
	}
	if !seen.moveSeen || seen.move != 50*time.Second {
		t.Errorf("the move took 50 s; recorded %+v", seen)
	}
	// The next batch has nothing to move: the record stays.
	ph2 := &drainPhaseState{began: clock.Now(), delays: map[string]time.Duration{}}
	d.drainPhase(context.Background(), b, &DrainResult{svcs: svcs}, ph2)
	if seen.move != 50*time.Second {
		t.Errorf("an empty batch overwrote the move: %s", seen.move)
	}
	// The delay cannot be read: the phase is named, without an estimate.
	d.ELB = &phaseELB{err: errors.New("AccessDenied")}
	ph3 := &drainPhaseState{began: clock.Now(), delays: map[string]time.Duration{}}
	if text, _, known := d.drainPhase(context.Background(), b, &DrainResult{moving: 1, svcs: svcs}, ph3); text != "draining 2 instances · 1 task to move or stop" || known {
		t.Errorf("denied: %q %v", text, known)
	}
}

// The plan's estimate drains for the delay the moved services' target
// groups have, not an assumed 300 s; none behind a load balancer, none;
// unreadable, the default.
func TestPlanTimingsReadTheDelay(t *testing.T) {
	dc := &drainCluster{Services: map[string]types.Service{
		"api":    {ServiceName: aws.String("api"), LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String("tg/api")}}},
		"worker": {ServiceName: aws.String("worker")},
	}}
	withAPI := []*drainInstance{{EC2ID: "i-1", Tasks: []drainTask{{Service: "worker"}, {Service: "api"}}}}
	workerOnly := []*drainInstance{{EC2ID: "i-2", Tasks: []drainTask{{Service: "worker"}, {Group: "family:batch"}}}}
	fe := &phaseELB{delay: "45"}
	r := &Rotator{ELB: fe}
	if got := r.planTimings(context.Background(), dc, withAPI); got.Deregistration != 45*time.Second || got.Boot != 90*time.Second {
		t.Errorf("with api: %+v", got)
	}
	if got := r.planTimings(context.Background(), dc, workerOnly); got.Deregistration != 0 {
		t.Errorf("no load balancer: %+v", got)
	}
	r.ELB = &phaseELB{err: errors.New("AccessDenied")}
	if got := r.planTimings(context.Background(), dc, withAPI); got.Deregistration != 300*time.Second {
		t.Errorf("unreadable: %+v", got)
	}
	given := &RotateTimings{Boot: time.Minute}
	r.Timings = given
	if got := r.planTimings(context.Background(), dc, withAPI); got != given {
		t.Errorf("given timings replaced: %+v", got)
	}
}
