package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// ECS is the part of the ECS API a deploy uses.
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, optFns ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, optFns ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
	DeregisterTaskDefinition(ctx context.Context, in *ecs.DeregisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	ListClusters(ctx context.Context, in *ecs.ListClustersInput, optFns ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
	ListServices(ctx context.Context, in *ecs.ListServicesInput, optFns ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
}

// ECR is the part of the ECR API a deploy uses to check image tags.
type ECR interface {
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
}

// ELB reads target health (a deployment that is complete while old
// tasks drain is only healthy when its load-balancer targets are) and the
// target group's deregistration delay (it sets how long the old tasks
// drain, usually the longest phase of a deploy).
type ELB interface {
	DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
	DescribeTargetGroupAttributes(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error)
}

// Logs reads the last lines of a failed container.
type Logs interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Request is what `ecsctl deploy` asks for.
type Request struct {
	Cluster  string
	Services []string
	// Tag is the new image tag for the service's main containers.
	Tag string
	// Containers names the containers whose image gets Tag; empty means the
	// containers whose repository is the main (first essential) container's.
	Containers []string
	// Images sets a container's whole image reference (container → ref).
	Images map[string]string
	Env    []EnvChange
	// Timeout bounds the wait for the deploy's verdict. A deployment that is
	// complete and healthy at the timeout, with only older tasks draining,
	// succeeds rather than being rolled back.
	Timeout            time.Duration
	NoRollback         bool
	NoWait             bool
	DryRun             bool
	AllowMutableTag    bool
	SkipImageCheck     bool
	ForceNewDeployment bool
	// Force deploys over a deployment already in progress.
	Force bool
	// KeepRevisions: after success, deregister older ACTIVE revisions of the
	// family beyond this many. 0 (the default) keeps all: pruning is opt-in
	// because it cannot see every user of a revision (README). In-use
	// revisions are never touched.
	KeepRevisions int
	// RollbackTimeout bounds the wait for a rollback's verdict (ecsctl's or
	// the circuit breaker's); 0 means Timeout. The worst case wall time of
	// a deploy is about Timeout + RollbackTimeout.
	RollbackTimeout time.Duration
}

func (r Request) rollbackTimeout() time.Duration {
	if r.RollbackTimeout > 0 {
		return r.RollbackTimeout
	}
	return r.Timeout
}

// Outcomes of a service's deploy.
const (
	OutcomeSucceeded         = "succeeded"
	OutcomeAlreadyDeployed   = "already-deployed"
	OutcomeNotWaited         = "not-waited"
	OutcomeDryRun            = "dry-run"
	OutcomeFailed            = "failed"
	OutcomeRolledBack        = "rolled-back"         // failed, and the service is back on the old revision
	OutcomeRollbackFailed    = "rollback-failed"     // failed, and so did the rollback
	OutcomeTimedOut          = "timed-out"           // no verdict in time (rolled back unless --no-rollback)
	OutcomeInterrupted       = "interrupted"         // the user stopped waiting
	OutcomeBreakerRolledBack = "breaker-rolled-back" // ECS's circuit breaker rolled it back
)

// ServiceResult is the verdict for one service.
type ServiceResult struct {
	Cluster           string        `json:"cluster"`
	Service           string        `json:"service"`
	Outcome           string        `json:"outcome"`
	Reason            string        `json:"reason,omitempty"`
	OldTaskDefinition string        `json:"oldTaskDefinition"`
	NewTaskDefinition string        `json:"newTaskDefinition,omitempty"`
	DeploymentID      string        `json:"deploymentId,omitempty"`
	Images            []ImageChange `json:"images,omitempty"`
	Notes             []string      `json:"notes,omitempty"`
	StoppedTasks      []StoppedTask `json:"stoppedTasks,omitempty"`
	LogLines          []string      `json:"lastLogLines,omitempty"`
	Rollback          *RollbackInfo `json:"rollback,omitempty"`
	Deregistered      []string      `json:"deregisteredRevisions,omitempty"`
	Diff              string        `json:"diff,omitempty"`
	StartedAt         time.Time     `json:"startedAt"`
	FinishedAt        time.Time     `json:"finishedAt"`
	DurationSeconds   float64       `json:"durationSeconds"`
	Desired           int32         `json:"desired"`
	Running           int32         `json:"running"`
	// WouldDeregister: in a dry run with --keep-revisions, the revisions a
	// successful real run would deregister (empty: none).
	WouldDeregister []string `json:"wouldDeregisterRevisions,omitempty"`
	// FailedTasks is the failed-task count ECS reported for the deploy's
	// deployment (the highest seen).
	FailedTasks int32 `json:"failedTasks,omitempty"`
	// Kind is "rollback" for the result of `ecsctl rollback` ("" for a deploy).
	Kind string `json:"kind,omitempty"`
	// timedOut marks a timeout verdict even after a rollback.
	timedOut bool
}

// Key is "cluster/service".
func (r *ServiceResult) Key() string { return r.Cluster + "/" + r.Service }

// ImageChange is one container's image before and after.
type ImageChange struct {
	Container string `json:"container"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// StoppedTask is a task of the new deployment that stopped.
type StoppedTask struct {
	TaskID        string         `json:"taskId"`
	StoppedReason string         `json:"stoppedReason"`
	StopCode      string         `json:"stopCode,omitempty"`
	ExitCodes     map[string]int `json:"exitCodes,omitempty"`
	Reasons       []string       `json:"containerReasons,omitempty"`
	StoppedAt     time.Time      `json:"stoppedAt"`
}

// RollbackInfo is the rollback that followed a failure.
type RollbackInfo struct {
	By             string `json:"by"` // "ecsctl" or "circuit-breaker"
	TaskDefinition string `json:"taskDefinition"`
	DeploymentID   string `json:"deploymentId,omitempty"`
	Outcome        string `json:"outcome"` // succeeded, failed, timed-out, interrupted
	Reason         string `json:"reason,omitempty"`
}

// Result is the verdict of a whole run.
type Result struct {
	Services []*ServiceResult `json:"services"`
}

// Err is the run's error for the exit code: the worst of the services.
func (r *Result) Err() error {
	var worst error
	rank := func(err error) int {
		switch {
		case err == nil:
			return 0
		case errors.Is(err, ops.ErrFailed):
			return 1
		case errors.Is(err, ops.ErrTimeout):
			return 2
		default:
			return 3
		}
	}
	for _, s := range r.Services {
		var err error
		switch {
		case s.Outcome == OutcomeInterrupted:
			err = ops.ErrInterrupted
		case s.timedOut || s.Outcome == OutcomeTimedOut:
			err = ops.ErrTimeout
		case s.Outcome == OutcomeFailed || s.Outcome == OutcomeRolledBack || s.Outcome == OutcomeRollbackFailed || s.Outcome == OutcomeBreakerRolledBack:
			err = ops.ErrFailed
		}
		if rank(err) > rank(worst) {
			worst = err
		}
	}
	return worst
}

// Deployer runs deploys and rollbacks.
type Deployer struct {
	ECS  ECS
	ECR  ECR  // nil skips image checks (with a note)
	Logs Logs // nil skips log lines of failed tasks
	// History (nil: not used) picks the rollback target from the service
	// deployment history; see rollbackTarget.
	History History
	// ELB (nil: a load-balanced deployment is never judged healthy while old
	// tasks drain, and the timeout rolls it back as before; the drain phase
	// is named without its deregistration delay).
	ELB ELB
	// Region is the region the clients talk to (for ECR registry matching).
	Region string
	Clock  ops.Clock
	// PollInterval between DescribeServices rounds (default 5s).
	PollInterval time.Duration
	// UnableToPlaceFor: fail when "unable to place" events persist this long
	// with no progress (default 5m or half the timeout, whichever is less).
	UnableToPlaceFor time.Duration
	// Progress receives events; it must not block for long.
	Progress func(ops.Event)
	// AWSNow is the account's clock, compared with AWS timestamps such as a
	// task's stoppingAt (nil: Clock).
	AWSNow func() time.Time
	// Referenced (nil: nothing) lists the revisions of a family that
	// EventBridge schedules and rules name; --keep-revisions keeps them.
	Referenced func(ctx context.Context, family string) ([]string, error)
}

func (d *Deployer) clock() ops.Clock {
	if d.Clock == nil {
		return ops.RealClock{}
	}
	return d.Clock
}

func (d *Deployer) interval() time.Duration {
	if d.PollInterval <= 0 {
		return 5 * time.Second
	}
	return d.PollInterval
}

func (d *Deployer) emit(ev ops.Event) {
	if ev.Time.IsZero() {
		ev.Time = d.clock().Now()
	}
	if d.Progress != nil {
		d.Progress(ev)
	}
}

func (d *Deployer) note(r *ServiceResult, kind ops.EventKind, format string, args ...any) {
	d.emit(ops.Event{Cluster: r.Cluster, Service: r.Service, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// plan is a prepared deploy of one service, before any change.
type plan struct {
	res     *ServiceResult
	svc     types.Service
	current *types.TaskDefinition
	// currentTags are the live revision's tags: the new revision copies
	// them, so a comparison with the live one must include them too.
	currentTags []types.Tag
	input       *ecs.RegisterTaskDefinitionInput
	noop        bool
	adopt       *types.Deployment // an in-progress deployment of the same images to follow
	// rollingBack: the revision an earlier run registered for this deploy,
	// which the deployment in progress is rolling back from.
	rollingBack string
}

// Deploy validates everything first (nothing changes on bad input), then
// registers the new revisions, updates the services and follows every
// rollout to a verdict with one shared poller.
func (d *Deployer) Deploy(ctx context.Context, req Request) (*Result, error) {
	if err := ValidateRequest(ctx, req); err != nil {
		return nil, err
	}
	services, err := describeServices(ctx, d.ECS, req.Cluster, req.Services)
	if err != nil {
		return nil, err
	}
	for _, name := range req.Services {
		if err := ControllerRefusal(req.Cluster, services[name], "deploy"); err != nil {
			return nil, err
		}
	}
	var plans []*plan
	for _, name := range req.Services {
		p, err := d.prepare(ctx, req, services[name])
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	result := &Result{}
	for _, p := range plans {
		result.Services = append(result.Services, p.res)
	}
	if req.DryRun {
		for _, p := range plans {
			if err := d.dryRun(ctx, req, p); err != nil {
				return nil, err
			}
		}
		return result, nil
	}

	var watches []*watch
	for _, p := range plans {
		w, err := d.start(ctx, req, p)
		if err != nil {
			p.res.Outcome = OutcomeFailed
			p.res.Reason = err.Error()
			if ctx.Err() != nil {
				// Interrupted with a call in flight: AWS may have applied it.
				call, _, _ := strings.Cut(err.Error(), ": operation error")
				p.res.Outcome, p.res.Reason = OutcomeInterrupted, "stopped while "+call+" was in flight (AWS may have applied it)"
				err = fmt.Errorf("%w: %v", ops.ErrInterrupted, err)
			}
			p.res.FinishedAt = d.clock().Now()
			d.note(p.res, ops.EventVerdict, "%s: %s", p.res.Outcome, p.res.Reason)
			if len(plans) == 1 {
				return result, err
			}
			continue
		}
		if w != nil {
			watches = append(watches, w)
		}
	}
	if !req.NoWait {
		d.follow(ctx, req, watches)
	} else {
		for _, w := range watches {
			w.res.Outcome = OutcomeNotWaited
			w.res.FinishedAt = d.clock().Now()
		}
	}
	for _, p := range plans {
		r := p.res
		r.DurationSeconds = r.FinishedAt.Sub(r.StartedAt).Seconds()
		if r.Outcome == OutcomeSucceeded && req.KeepRevisions > 0 && ctx.Err() == nil {
			r.Deregistered, err = d.pruneRevisions(ctx, r, aws.ToString(p.input.Family), req.KeepRevisions)
			if err != nil {
				r.Notes = append(r.Notes, "revision cleanup: "+err.Error())
				d.note(r, ops.EventWarning, "revision cleanup stopped: %v", err)
			}
		}
	}
	return result, result.Err()
}

// ValidateRequest checks a request before any AWS call.
func ValidateRequest(ctx context.Context, req Request) error {
	if req.Cluster == "" {
		return ops.Inputf("missing %s: name the ECS cluster (or set ECSCTL_CLUSTER)", ops.Opt(ctx, "Cluster"))
	}
	if len(req.Services) == 0 {
		return ops.Inputf("missing %s: name the service to deploy (repeat %s for several)", ops.Opt(ctx, "Service"), ops.Opt(ctx, "Service"))
	}
	if err := validateServices(ctx, req.Services); err != nil {
		return err
	}
	if req.Tag == "" && len(req.Images) == 0 && len(req.Env) == 0 && !req.ForceNewDeployment {
		return ops.Inputf("nothing to deploy: give %s (or %s, %s, %s)", ops.Opt(ctx, "Tag"), ops.Opt(ctx, "Image"), ops.Opt(ctx, "Env"), ops.Opt(ctx, "ForceNewDeployment"))
	}
	if req.Tag != "" {
		if err := ValidateTag(ctx, req.Tag); err != nil {
			return err
		}
		if MutableLookingTag(req.Tag) && !req.AllowMutableTag {
			return ops.Inputf("refusing mutable-looking tag %q: deploy a unique tag such as the git commit (%s $GIT_COMMIT), or pass %s", req.Tag, ops.Opt(ctx, "Tag"), ops.Opt(ctx, "AllowMutableTag"))
		}
	}
	if len(req.Containers) > 0 && req.Tag == "" {
		return ops.Inputf("%s needs %s: it names the containers that get the new tag", ops.Opt(ctx, "Container"), ops.Opt(ctx, "Tag"))
	}
	if err := validateImages(ctx, req.Images, req.AllowMutableTag); err != nil {
		return err
	}
	if req.Timeout <= 0 {
		return ops.Inputf("invalid %s %s: want a positive duration like 15m", ops.Opt(ctx, "Timeout"), req.Timeout)
	}
	if req.KeepRevisions < 0 {
		return ops.Inputf("invalid %s %d: want 0 (keep all) or more", ops.Opt(ctx, "KeepRevisions"), req.KeepRevisions)
	}
	if req.RollbackTimeout < 0 {
		return ops.Inputf("invalid %s %s: want a positive duration like 10m", ops.Opt(ctx, "RollbackTimeout"), req.RollbackTimeout)
	}
	return nil
}

// validateServices refuses empty, path-like and repeated service names.
func validateServices(ctx context.Context, services []string) error {
	seen := map[string]bool{}
	for _, s := range services {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t/") && !strings.HasPrefix(s, "arn:") {
			return ops.Inputf("invalid %s %q: give the service name", ops.Opt(ctx, "Service"), s)
		}
		if seen[s] {
			return ops.Inputf("%s %s given twice: name each service once", ops.Opt(ctx, "Service"), s)
		}
		seen[s] = true
	}
	return nil
}

// validateImages refuses unparsable image references and mutable-looking
// tags without a digest (unless allowed).
func validateImages(ctx context.Context, images map[string]string, allowMutable bool) error {
	for c, ref := range images {
		r, err := ParseImageRef(ref)
		if err != nil {
			return ops.Inputf("invalid %s %s=%s: %v", ops.Opt(ctx, "Image"), c, ref, err)
		}
		if r.Tag != "" && MutableLookingTag(r.Tag) && r.Digest == "" && !allowMutable {
			return ops.Inputf("refusing mutable-looking tag in %s %s=%s: use a unique tag or a digest, or pass %s", ops.Opt(ctx, "Image"), c, ref, ops.Opt(ctx, "AllowMutableTag"))
		}
	}
	return nil
}

// describeServices fetches the services to act on, by name and by ARN; a
// missing or inactive one is a NotFoundError (awsapi.ECS.ActiveServices).
func describeServices(ctx context.Context, api ECS, cluster string, names []string) (map[string]types.Service, error) {
	list, err := awsapi.ActiveServices(ctx, api, cluster, names)
	if err != nil {
		return nil, err
	}
	out := map[string]types.Service{}
	for i, s := range list {
		out[names[i]] = s
		out[aws.ToString(s.ServiceName)] = s
		out[aws.ToString(s.ServiceArn)] = s
	}
	return out, nil
}

// prepare checks one service and builds its new revision, changing nothing.
func (d *Deployer) prepare(ctx context.Context, req Request, svc types.Service) (*plan, error) {
	name := aws.ToString(svc.ServiceName)
	res := &ServiceResult{Cluster: req.Cluster, Service: name, StartedAt: d.clock().Now(), Desired: svc.DesiredCount, Running: svc.RunningCount}
	primary := ops.PrimaryDeployment(svc)
	liveArn := aws.ToString(svc.TaskDefinition)
	if primary != nil {
		liveArn = aws.ToString(primary.TaskDefinition)
	}
	res.OldTaskDefinition = liveArn
	tdOut, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(liveArn), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s of %s/%s: %w", liveArn, req.Cluster, name, err)
	}
	td := tdOut.TaskDefinition
	in := RegisterInputFrom(td, tdOut.Tags)
	changes := TaskDefChanges{Images: map[string]string{}, Env: req.Env}
	if req.Tag != "" {
		targets, err := tagTargets(ctx, td, req.Containers)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", req.Cluster, name, err)
		}
		for _, c := range targets {
			ref, _ := ParseImageRef(containerImage(td, c))
			changes.Images[c] = ref.WithTag(req.Tag).String()
		}
	}
	for c, ref := range req.Images {
		changes.Images[c] = ref
	}
	if err := changes.Apply(ctx, in); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", req.Cluster, name, err)
	}
	for _, c := range slices.Sorted(maps.Keys(changes.Images)) {
		res.Images = append(res.Images, ImageChange{Container: c, From: containerImage(td, c), To: changes.Images[c]})
	}
	if !req.SkipImageCheck {
		if err := d.checkImages(ctx, res); err != nil {
			return nil, err
		}
	} else {
		res.Notes = append(res.Notes, "image check skipped ("+ops.Opt(ctx, "SkipImageCheck")+")")
	}
	p := &plan{res: res, svc: svc, current: td, currentTags: tdOut.Tags, input: in}
	unchanged := TaskDefDiff(RegisterInputFrom(td, tdOut.Tags), in) == ""
	inProgress := primary != nil && (len(svc.Deployments) > 1 || primary.RolloutState == types.DeploymentRolloutStateInProgress)
	if inProgress && !req.Force {
		if unchanged {
			// A re-run of the same deploy: follow the rollout already going.
			p.adopt = primary
		} else if arn, ok := d.resumeRegisteredRevision(ctx, p); ok {
			p.rollingBack = arn
		} else {
			age := d.clock().Now().Sub(aws.ToTime(primary.CreatedAt)).Round(time.Second)
			return nil, ops.Inputf("service %s/%s has a deployment in progress (%s, %s, started %s ago): wait for it, or pass %s to deploy over it",
				req.Cluster, name, aws.ToString(primary.Id), ops.ShortTaskDef(aws.ToString(primary.TaskDefinition)), age, ops.Opt(ctx, "Force"))
		}
	}
	if unchanged && !inProgress && !req.ForceNewDeployment {
		p.noop = true
	}
	return p, nil
}

// changed says whether the deploy needs a new revision: the live one
// differs from what it would register (tags included).
func (p *plan) changed() bool {
	return TaskDefDiff(RegisterInputFrom(p.current, p.currentTags), p.input) != ""
}

// dryRun fills a plan's result with what a real run would do, changing
// nothing: the diff, "already deployed" when the live revision is the
// target, and the revisions --keep-revisions would deregister.
func (d *Deployer) dryRun(ctx context.Context, req Request, p *plan) error {
	r := p.res
	r.Outcome = OutcomeDryRun
	r.Diff = TaskDefDiff(RegisterInputFrom(p.current, p.currentTags), p.input)
	if p.noop {
		r.Outcome = OutcomeAlreadyDeployed
		r.NewTaskDefinition = r.OldTaskDefinition
		r.Reason = fmt.Sprintf("no change: the service already runs %s with these images, so a deploy would do nothing", ops.ShortTaskDef(r.OldTaskDefinition))
	} else if !p.changed() && p.adopt == nil && p.rollingBack == "" {
		r.NewTaskDefinition = r.OldTaskDefinition
		r.Reason = fmt.Sprintf("no task definition change: would start a new deployment of %s", ops.ShortTaskDef(r.OldTaskDefinition))
	}
	if req.KeepRevisions > 0 && !p.noop {
		willRegister := p.changed()
		keepAlso := []string{r.OldTaskDefinition}
		if willRegister {
			if earlier, ok := d.resumeRegisteredRevision(ctx, p); ok {
				willRegister = false
				keepAlso = append(keepAlso, earlier)
			}
		}
		refs, err := d.referenced(ctx, aws.ToString(p.input.Family))
		if err != nil {
			return fmt.Errorf("%s: revisions %s %d would deregister: %w", r.Key(), ops.Opt(ctx, "KeepRevisions"), req.KeepRevisions, err)
		}
		keepAlso = append(keepAlso, refs...)
		arns, err := pruneCandidates(ctx, d.ECS, aws.ToString(p.input.Family), req.KeepRevisions, willRegister, keepAlso...)
		if err != nil {
			return fmt.Errorf("%s: revisions %s %d would deregister: %w", r.Key(), ops.Opt(ctx, "KeepRevisions"), req.KeepRevisions, err)
		}
		r.WouldDeregister = []string{}
		for _, arn := range arns {
			r.WouldDeregister = append(r.WouldDeregister, ops.ShortTaskDef(arn))
		}
	}
	r.FinishedAt = d.clock().Now()
	return nil
}

// tagTargets picks the containers that get the new tag.
func tagTargets(ctx context.Context, td *types.TaskDefinition, named []string) ([]string, error) {
	if len(named) > 0 {
		for _, n := range named {
			if containerImage(td, n) == "" {
				return nil, ops.Inputf("task definition %s has no container %q for %s (it has: %s)", aws.ToString(td.Family), n, ops.Opt(ctx, "Container"), containerNames(td.ContainerDefinitions))
			}
		}
		return named, nil
	}
	var main *types.ContainerDefinition
	for i := range td.ContainerDefinitions {
		if aws.ToBool(td.ContainerDefinitions[i].Essential) || td.ContainerDefinitions[i].Essential == nil {
			main = &td.ContainerDefinitions[i]
			break
		}
	}
	if main == nil && len(td.ContainerDefinitions) > 0 {
		main = &td.ContainerDefinitions[0]
	}
	if main == nil {
		return nil, ops.Inputf("task definition %s has no containers", aws.ToString(td.Family))
	}
	mainRef, err := ParseImageRef(aws.ToString(main.Image))
	if err != nil {
		return nil, ops.Inputf("main container %s: %v; name the containers with %s", aws.ToString(main.Name), err, ops.Opt(ctx, "Container"))
	}
	var out []string
	for _, c := range td.ContainerDefinitions {
		r, err := ParseImageRef(aws.ToString(c.Image))
		if err == nil && r.Name() == mainRef.Name() {
			out = append(out, aws.ToString(c.Name))
		}
	}
	return out, nil
}

func containerImage(td *types.TaskDefinition, name string) string {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			return aws.ToString(c.Image)
		}
	}
	return ""
}

// checkImages makes sure every new ECR image tag exists before anything
// changes, and notes whether the repository is tag-immutable. A question ECR
// cannot answer (see uncheckableImage) is a note, never a refusal.
func (d *Deployer) checkImages(ctx context.Context, res *ServiceResult) error {
	for _, ch := range res.Images {
		ref, err := ParseImageRef(ch.To)
		if err != nil {
			return ops.Inputf("%s/%s container %s: %v", res.Cluster, res.Service, ch.Container, err)
		}
		account, region, ok := ref.ECR()
		if !ok {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %s is not in Amazon ECR; tag not checked", ch.Container, ref.Name()))
			continue
		}
		if d.ECR == nil || (d.Region != "" && region != d.Region) {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: ECR registry in %s not checked from %s", ch.Container, region, d.Region))
			continue
		}
		id := ecrtypes.ImageIdentifier{}
		if ref.Digest != "" {
			id.ImageDigest = aws.String(ref.Digest)
		} else {
			id.ImageTag = aws.String(ref.Tag)
		}
		_, err = d.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: aws.String(account), RepositoryName: aws.String(ref.Repository), ImageIds: []ecrtypes.ImageIdentifier{id}})
		if note := d.uncheckableImage(ctx, res, ch.Container, ref, account, err); note != "" {
			res.Notes = append(res.Notes, note)
			continue
		}
		switch awsapi.ErrorCode(err) {
		case "":
		case "ImageNotFoundException":
			return ops.Inputf("image %s does not exist in ECR (repository %s): push it first, or check %s", ref.String(), ref.Repository, ops.Opt(ctx, "Tag"))
		case "RepositoryNotFoundException":
			return ops.Inputf("ECR repository %s does not exist in account %s: check the task definition's image for container %s", ref.Repository, account, ch.Container)
		default:
			return fmt.Errorf("describe ECR image %s: %w", ref.String(), err)
		}
		repos, err := d.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: aws.String(account), RepositoryNames: []string{ref.Repository}})
		if err == nil && len(repos.Repositories) == 1 {
			if repos.Repositories[0].ImageTagMutability == ecrtypes.ImageTagMutabilityImmutable {
				res.Notes = append(res.Notes, fmt.Sprintf("%s: %s exists; repository is tag-immutable", ch.Container, ref.String()))
			} else {
				res.Notes = append(res.Notes, fmt.Sprintf("%s: %s exists; repository tags are MUTABLE, the tag could be moved", ch.Container, ref.String()))
			}
		}
	}
	return nil
}

// start registers the revision and updates the service; it returns the
// watch that follows the rollout (nil when nothing was to be done).
func (d *Deployer) start(ctx context.Context, req Request, p *plan) (*watch, error) {
	r := p.res
	for _, n := range r.Notes {
		d.note(r, ops.EventNote, "%s", n)
	}
	if p.noop {
		r.Outcome = OutcomeAlreadyDeployed
		r.NewTaskDefinition = r.OldTaskDefinition
		r.FinishedAt = d.clock().Now()
		d.note(r, ops.EventVerdict, "already running %s with these images; nothing to do", ops.ShortTaskDef(r.OldTaskDefinition))
		return nil, nil
	}
	if p.rollingBack != "" {
		return d.resumeFollowRollback(req, p), nil
	}
	if p.adopt != nil {
		r.NewTaskDefinition = aws.ToString(p.adopt.TaskDefinition)
		r.DeploymentID = aws.ToString(p.adopt.Id)
		for _, dep := range p.svc.Deployments {
			if aws.ToString(dep.Status) != "PRIMARY" {
				r.OldTaskDefinition = aws.ToString(dep.TaskDefinition)
				break
			}
		}
		d.note(r, ops.EventInfo, "following deployment %s already in progress with the same images (%s)", r.DeploymentID, ops.ShortTaskDef(r.NewTaskDefinition))
		w := d.newWatch(req, r, p.svc, r.DeploymentID, r.NewTaskDefinition, phaseDeploy)
		d.attachServiceDeployment(ctx, w, p.svc)
		return w, nil
	}
	newArn := r.OldTaskDefinition
	if p.changed() {
		if earlier, ok := d.resumeRegisteredRevision(ctx, p); ok {
			newArn = earlier
			d.note(r, ops.EventInfo, "using %s, registered with the same content by an earlier run of this deploy", ops.ShortTaskDef(newArn))
		} else {
			out, err := d.ECS.RegisterTaskDefinition(ctx, p.input)
			if err != nil {
				return nil, fmt.Errorf("register task definition %s: %w", aws.ToString(p.input.Family), err)
			}
			newArn = d.keepFirstRegistration(ctx, out, p.input, r.OldTaskDefinition, r)
			d.note(r, ops.EventInfo, "registered %s", ops.ShortTaskDef(newArn))
		}
	}
	r.NewTaskDefinition = newArn
	upd, err := d.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:            aws.String(req.Cluster),
		Service:            aws.String(r.Service),
		TaskDefinition:     aws.String(newArn),
		ForceNewDeployment: req.ForceNewDeployment || newArn == r.OldTaskDefinition,
	})
	if err != nil {
		return nil, fmt.Errorf("update service %s/%s: %w", req.Cluster, r.Service, err)
	}
	dep := ops.PrimaryDeployment(*upd.Service)
	if dep == nil {
		return nil, fmt.Errorf("update service %s/%s: no PRIMARY deployment in the answer", req.Cluster, r.Service)
	}
	r.DeploymentID = aws.ToString(dep.Id)
	d.note(r, ops.EventInfo, "updated service: deployment %s of %s started", r.DeploymentID, ops.ShortTaskDef(newArn))
	w := d.newWatch(req, r, *upd.Service, r.DeploymentID, newArn, phaseDeploy)
	d.attachServiceDeployment(ctx, w, *upd.Service)
	return w, nil
}
