package overview

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// ScaleServiceECS is the part of ECS that scaling a service uses.
type ScaleServiceECS interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// ScaleServiceAAS reads and moves a service's Application Auto Scaling bounds.
type ScaleServiceAAS interface {
	DescribeScalableTargets(ctx context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, optFns ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error)
	RegisterScalableTarget(ctx context.Context, in *applicationautoscaling.RegisterScalableTargetInput, optFns ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error)
}

// ScaleServiceELB reads target health: a load-balanced service is steady
// only once its new targets pass health checks.
type ScaleServiceELB interface {
	DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
}

// scaleServiceMaxCount is ECS's quota of tasks per service.
const scaleServiceMaxCount = 5000

// ScaleServiceRequest is what `ecsctl scale service` asks for.
type ScaleServiceRequest struct {
	Cluster string
	Service string
	Count   int
	// Wait follows the service until running == desired and steady.
	Wait    bool
	Timeout time.Duration
	// UpdateAutoscaling moves the Application Auto Scaling min/max so that
	// they include Count (otherwise a Count outside them is only reported).
	UpdateAutoscaling bool
	DryRun            bool
	// OutsideAutoscaling sets a Count outside the Application Auto Scaling
	// bounds for now, leaving the bounds as they are (without it, or
	// UpdateAutoscaling, such a Count is refused).
	OutsideAutoscaling bool
}

// ValidateScaleServiceRequest checks the request before any AWS call.
func ValidateScaleServiceRequest(ctx context.Context, r ScaleServiceRequest) error {
	switch {
	case r.Cluster == "":
		return ops.Inputf("missing %s: the service's cluster, e.g. %s prod", ops.Opt(ctx, "Cluster"), ops.Opt(ctx, "Cluster"))
	case r.Service == "":
		return ops.Inputf("missing %s: the service to scale, e.g. %s api", ops.Opt(ctx, "Service"), ops.Opt(ctx, "Service"))
	case r.Count < 0:
		return ops.Inputf("invalid %s %d: want 0 or more tasks", ops.Opt(ctx, "Count"), r.Count)
	case r.Count > scaleServiceMaxCount:
		return ops.Inputf("invalid %s %d: ECS runs at most %d tasks per service", ops.Opt(ctx, "Count"), r.Count, scaleServiceMaxCount)
	case r.Wait && r.Timeout <= 0:
		return ops.Inputf("invalid %s %s: want a positive duration like 10m", ops.Opt(ctx, "Timeout"), r.Timeout)
	}
	return nil
}

// ScaleServiceBounds are a service's Application Auto Scaling min and max.
type ScaleServiceBounds struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// ScaleServiceResult is the outcome of scaling a service.
type ScaleServiceResult struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	From    int    `json:"from"`
	To      int    `json:"to"`
	DryRun  bool   `json:"dryRun"`
	// Autoscaling is the service's bounds before the change (nil: none);
	// AutoscalingUpdated the new ones when --update-autoscaling moved them.
	Autoscaling        *ScaleServiceBounds `json:"autoscaling,omitempty"`
	AutoscalingUpdated *ScaleServiceBounds `json:"autoscalingUpdated,omitempty"`
	// Warning says when Application Auto Scaling would undo the change.
	Warning string `json:"warning,omitempty"`
	Waited  bool   `json:"waited"`
	Running int    `json:"running"`
	Pending int    `json:"pending"`
	// Outcome: updated (no wait), steady, dry-run, unchanged, failed,
	// timed-out or interrupted.
	Outcome         string  `json:"outcome"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// ServiceScaler sets a service's desired count and follows it.
type ServiceScaler struct {
	ECS          ScaleServiceECS
	AAS          ScaleServiceAAS // nil: no Application Auto Scaling check
	ELB          ScaleServiceELB // nil: target health not waited for
	Clock        ops.Clock
	PollInterval time.Duration
	Progress     func(ops.Event)
}

func (s *ServiceScaler) clock() ops.Clock {
	if s.Clock == nil {
		return ops.RealClock{}
	}
	return s.Clock
}

func (s *ServiceScaler) emit(subject, format string, args ...any) {
	if s.Progress != nil {
		s.Progress(scaleEvent(s.clock().Now(), subject, ops.EventInfo, fmt.Sprintf(format, args...)))
	}
}

// scaleEvent is a progress event about subject ("cluster/service": ECS
// cluster names hold no slash).
func scaleEvent(at time.Time, subject string, kind ops.EventKind, msg string) ops.Event {
	cluster, service, _ := strings.Cut(subject, "/")
	return ops.Event{Time: at, Cluster: cluster, Service: service, Kind: kind, Message: msg}
}

// scaleServiceResourceID is the Application Auto Scaling id of a service.
func scaleServiceResourceID(cluster, service string) string {
	return "service/" + cluster + "/" + service
}

// Scale sets the desired count; with Wait it follows the service until
// running == desired, one COMPLETED deployment and nothing pending.
func (s *ServiceScaler) Scale(ctx context.Context, req ScaleServiceRequest) (*ScaleServiceResult, error) {
	if err := ValidateScaleServiceRequest(ctx, req); err != nil {
		return nil, err
	}
	start := s.clock().Now()
	subject := req.Cluster + "/" + req.Service
	if _, err := overviewDescribeCluster(ctx, s.ECS, req.Cluster); err != nil {
		return nil, err
	}
	svc, err := overviewDescribeService(ctx, s.ECS, req.Cluster, req.Service)
	if err != nil {
		return nil, err
	}
	res := &ScaleServiceResult{Cluster: req.Cluster, Service: req.Service, From: int(svc.DesiredCount), To: req.Count, DryRun: req.DryRun,
		Running: int(svc.RunningCount), Pending: int(svc.PendingCount)}
	if s.AAS != nil {
		out, err := s.AAS.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{scaleServiceResourceID(req.Cluster, req.Service)},
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		})
		if err != nil {
			return nil, fmt.Errorf("describe scalable target of service %s: %w", subject, err)
		}
		for _, t := range out.ScalableTargets {
			res.Autoscaling = &ScaleServiceBounds{Min: int(aws.ToInt32(t.MinCapacity)), Max: int(aws.ToInt32(t.MaxCapacity))}
		}
	}
	if b := res.Autoscaling; b != nil && (req.Count < b.Min || req.Count > b.Max) {
		// Application Auto Scaling brings a capacity outside its bounds
		// back into them (SDK doc of types.ScalableTargetAction: "if the
		// current capacity is above the maximum capacity, Application Auto
		// Scaling scales in to the maximum capacity"): a count set there
		// does not last, so it takes a flag saying which way is meant.
		bound, which := b.Max, "max"
		if req.Count < b.Min {
			bound, which = b.Min, "min"
		}
		switch {
		case req.UpdateAutoscaling:
			res.AutoscalingUpdated = &ScaleServiceBounds{Min: min(b.Min, req.Count), Max: max(b.Max, req.Count)}
		case req.OutsideAutoscaling:
			res.Warning = fmt.Sprintf("Application Auto Scaling keeps %s between %d and %d tasks: %d is set for now and auto scaling will move it back into that range when it next scales",
				subject, b.Min, b.Max, req.Count)
		default:
			return nil, ops.Inputf("%s %d is %s the Application Auto Scaling %s of %d for %s, which would move it back: add %s to change the bounds to %d-%d, or %s to set %d for now anyway",
				ops.Opt(ctx, "Count"), req.Count, map[string]string{"max": "above", "min": "below"}[which], which, bound, subject,
				ops.Opt(ctx, "UpdateAutoscaling"), min(b.Min, req.Count), max(b.Max, req.Count), ops.Opt(ctx, "OutsideAutoscaling"), req.Count)
		}
	}
	// The warning is printed once, with the result (and in its JSON).
	if req.DryRun {
		res.Outcome = "dry-run"
		msg := fmt.Sprintf("dry run: would set desired count %d → %d", res.From, res.To)
		if u := res.AutoscalingUpdated; u != nil {
			msg += fmt.Sprintf(" and autoscaling bounds %d-%d → %d-%d", res.Autoscaling.Min, res.Autoscaling.Max, u.Min, u.Max)
		}
		s.emit(subject, "%s; nothing changed", msg)
		return res, nil
	}
	if u := res.AutoscalingUpdated; u != nil {
		_, err := s.AAS.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(scaleServiceResourceID(req.Cluster, req.Service)),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			MinCapacity:       aws.Int32(int32(u.Min)), MaxCapacity: aws.Int32(int32(u.Max)),
		})
		if err != nil {
			return res, fmt.Errorf("update autoscaling bounds of service %s: %w", subject, err)
		}
		s.emit(subject, "autoscaling bounds %d-%d → %d-%d", res.Autoscaling.Min, res.Autoscaling.Max, u.Min, u.Max)
	}
	if res.From != res.To {
		_, err := s.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(req.Cluster), Service: aws.String(req.Service), DesiredCount: aws.Int32(int32(req.Count))})
		if err != nil {
			return res, fmt.Errorf("update desired count of service %s: %w", subject, err)
		}
		s.emit(subject, "desired count %d → %d", res.From, res.To)
		res.Outcome = "updated"
	} else {
		s.emit(subject, "desired count already %d", res.To)
		res.Outcome = "unchanged"
	}
	if !req.Wait {
		res.DurationSeconds = s.clock().Now().Sub(start).Seconds()
		return res, nil
	}
	res.Waited = true
	err = s.wait(ctx, req, res)
	res.DurationSeconds = s.clock().Now().Sub(start).Seconds()
	return res, err
}

// wait polls the service until it is steady at the requested count.
func (s *ServiceScaler) wait(ctx context.Context, req ScaleServiceRequest, res *ScaleServiceResult) error {
	subject := req.Cluster + "/" + req.Service
	interval := s.PollInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	start := s.clock().Now()
	deadline := start.Add(req.Timeout)
	last, lastPhase := "", ""
	ph := &scalePhase{start: start, running: -1}
	say := func(msg string) {
		now := s.clock().Now()
		text, left, known := ph.describe(now, res.Running, res.Pending, req.Count, msg)
		if msg != "" && (msg != last || text != lastPhase) && s.Progress != nil {
			ev := scaleEvent(now, subject, ops.EventProgress, msg)
			ev.Phase, ev.PhaseLeft, ev.PhaseLeftKnown = text, left, known
			s.Progress(ev)
		}
		if msg != "" {
			last, lastPhase = msg, text
		}
	}
	for {
		done, err := s.poll(ctx, req, res, say)
		if done || (err != nil && ctx.Err() == nil && !awsapi.Transient(err)) {
			return err
		}
		if ctx.Err() != nil {
			res.Outcome = "interrupted"
			return fmt.Errorf("waiting for %s to reach %d running (%d now): %w", subject, req.Count, res.Running, ops.ErrInterrupted)
		}
		left := deadline.Sub(s.clock().Now())
		if left <= 0 {
			res.Outcome = "timed-out"
			return fmt.Errorf("%s did not reach %d running within %s (%d running, %d pending): %w", subject, req.Count, req.Timeout, res.Running, res.Pending, ops.ErrTimeout)
		}
		select {
		case <-ctx.Done():
		case <-s.clock().After(min(interval, left)):
		}
	}
}

// poll looks once: done with a nil error when steady at the count (and,
// behind a load balancer, the targets healthy), done with an error when it
// can no longer get there.
func (s *ServiceScaler) poll(ctx context.Context, req ScaleServiceRequest, res *ScaleServiceResult, say func(string)) (bool, error) {
	subject := req.Cluster + "/" + req.Service
	out, err := s.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(req.Cluster), Services: []string{req.Service}})
	if err != nil {
		return false, fmt.Errorf("describe service %s: %w", subject, err)
	}
	if len(out.Services) != 1 {
		return true, ops.NotFound(ctx, "service", subject)
	}
	svc := out.Services[0]
	res.Running, res.Pending = int(svc.RunningCount), int(svc.PendingCount)
	say(fmt.Sprintf("%d/%d running, %d pending", svc.RunningCount, svc.DesiredCount, svc.PendingCount))
	if int(svc.DesiredCount) != req.Count {
		res.Outcome = "failed"
		return true, fmt.Errorf("desired count of %s changed to %d while waiting (Application Auto Scaling or another operator?): %w", subject, svc.DesiredCount, ops.ErrFailed)
	}
	if d := ops.PrimaryDeployment(svc); d != nil && d.RolloutState == types.DeploymentRolloutStateFailed {
		res.Outcome = "failed"
		return true, fmt.Errorf("deployment of %s failed: %s: %w", subject, aws.ToString(d.RolloutStateReason), ops.ErrFailed)
	}
	if overviewServiceState(svc) != ServiceStateSteady || int(svc.RunningCount) != req.Count {
		return false, nil
	}
	ok, msg, err := s.targetsHealthy(ctx, svc, req.Count)
	if err != nil {
		return false, fmt.Errorf("describe target health of service %s: %w", subject, err)
	}
	if !ok {
		say(msg)
		return false, nil
	}
	res.Outcome = "steady"
	s.emit(subject, "steady at %d running", svc.RunningCount)
	return true, nil
}

// targetsHealthy reports whether each of the service's target groups has
// at least count healthy targets and none still in initial health checks
// (draining targets of stopped tasks do not count either way).
func (s *ServiceScaler) targetsHealthy(ctx context.Context, svc types.Service, count int) (bool, string, error) {
	if s.ELB == nil || count == 0 {
		return true, "", nil
	}
	for _, lb := range svc.LoadBalancers {
		tg := aws.ToString(lb.TargetGroupArn)
		if tg == "" {
			continue
		}
		out, err := s.ELB.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			return false, "", err
		}
		healthy, initial, unhealthy := 0, 0, 0
		for _, d := range out.TargetHealthDescriptions {
			if d.TargetHealth == nil {
				continue
			}
			switch d.TargetHealth.State {
			case elbtypes.TargetHealthStateEnumHealthy:
				healthy++
			case elbtypes.TargetHealthStateEnumInitial:
				initial++
			case elbtypes.TargetHealthStateEnumUnhealthy:
				unhealthy++
			}
		}
		if healthy < count || initial > 0 {
			return false, fmt.Sprintf("target group %s: %d healthy, %d in initial health checks, %d unhealthy", overviewTargetGroupName(tg), healthy, initial, unhealthy), nil
		}
	}
	return true, "", nil
}

// scalePhase is what a scale wait remembers to name its phase.
type scalePhase struct {
	start     time.Time
	running   int           // at the last look (-1: none yet)
	firstRun  time.Duration // how long this wait's first new task took to run
	firstSeen bool
}

// describe names what ECS does while a service scales out: how many tasks
// it still starts, and how long they should take, from how long this
// wait's first new task took to run (ops.TypicalTaskStart
// until one has). A scale-in is steady as soon as runningCount is down
// (DEACTIVATING and STOPPING tasks are not counted: ECS-SEMANTICS §4), and
// a target still in its health checks is named by the message itself.
func (p *scalePhase) describe(now time.Time, running, pending, count int, msg string) (string, time.Duration, bool) {
	if p.running >= 0 && running > p.running && !p.firstSeen {
		p.firstRun, p.firstSeen = now.Sub(p.start), true
	}
	p.running = running
	if running >= count {
		return "", 0, false
	}
	est, basis := ops.TypicalTaskStart, "usually about "+fmtx.Elapsed(ops.TypicalTaskStart)
	if p.firstSeen {
		est, basis = p.firstRun, "the first took "+fmtx.Elapsed(p.firstRun)
	}
	what := "ECS places and starts " + fmtx.Count(count-running, "task")
	if pending > 0 {
		what = "starting " + fmtx.Count(count-running, "task") + " (" + strconv.Itoa(pending) + " pending)"
	}
	return what + " · " + basis, max(0, est-now.Sub(p.start)), true
}
