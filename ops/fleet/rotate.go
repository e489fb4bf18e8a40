package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// RotateECS is the part of the ECS API rotate-ami and scale cluster use.
type RotateECS interface {
	DrainECS
	ListServices(ctx context.Context, in *ecs.ListServicesInput, optFns ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	DescribeCapacityProviders(ctx context.Context, in *ecs.DescribeCapacityProvidersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeCapacityProvidersOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// RotateASG is the part of the Auto Scaling API they use.
type RotateASG interface {
	DrainASG
	FleetASG
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	DescribeAutoScalingInstances(ctx context.Context, in *autoscaling.DescribeAutoScalingInstancesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingInstancesOutput, error)
	UpdateAutoScalingGroup(ctx context.Context, in *autoscaling.UpdateAutoScalingGroupInput, optFns ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error)
	SetDesiredCapacity(ctx context.Context, in *autoscaling.SetDesiredCapacityInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SetDesiredCapacityOutput, error)
	SetInstanceProtection(ctx context.Context, in *autoscaling.SetInstanceProtectionInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SetInstanceProtectionOutput, error)
	SuspendProcesses(ctx context.Context, in *autoscaling.SuspendProcessesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SuspendProcessesOutput, error)
	ResumeProcesses(ctx context.Context, in *autoscaling.ResumeProcessesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.ResumeProcessesOutput, error)
	CreateOrUpdateTags(ctx context.Context, in *autoscaling.CreateOrUpdateTagsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.CreateOrUpdateTagsOutput, error)
	DeleteTags(ctx context.Context, in *autoscaling.DeleteTagsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DeleteTagsOutput, error)
	DescribeInstanceRefreshes(ctx context.Context, in *autoscaling.DescribeInstanceRefreshesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error)
}

// RotateEC2 reads instances and launch templates and tags instances.
type RotateEC2 interface {
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	CreateLaunchTemplateVersion(ctx context.Context, in *ec2.CreateLaunchTemplateVersionInput, optFns ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error)
	DeleteLaunchTemplateVersions(ctx context.Context, in *ec2.DeleteLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateVersionsOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, optFns ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, optFns ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

// RotateSSM resolves the target AMI from a parameter.
type RotateSSM interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// DefaultAMIParameter is the ECS-optimized Amazon Linux 2023 recommended AMI.
const DefaultAMIParameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

// Tags through which a rotation lives in AWS (so a killed run can resume).
const (
	rotateTagRun       = "ecsctl:rotation"           // on the ASG: the run record
	rotateTagOld       = "ecsctl:rotation-old"       // on EC2 instances to replace
	rotateTagProtected = "ecsctl:rotation-protected" // on EC2 instances ecsctl protected from scale-in
)

// RotateRequest is what `ecsctl rotate-ami` asks for.
type RotateRequest struct {
	Cluster              string
	ASG                  string
	AMI                  string
	SSMParameter         string
	UpdateLaunchTemplate bool
	// Batch is how many instances drain together (0: chosen, see
	// chooseRotateSize).
	Batch int
	// Surge is how many extra instances to run while a batch drains
	// (negative: the batch size, or chosen when Batch is 0 too).
	Surge           int
	TimeoutPerBatch time.Duration
	Standalone      string
	DryRun          bool
	Abort           bool
}

// ValidateRotateRequest checks the flags before any AWS call.
func ValidateRotateRequest(ctx context.Context, r RotateRequest) error {
	switch {
	case strings.TrimSpace(r.Cluster) == "":
		return ops.Inputf("missing %s: name the ECS cluster whose instances to rotate, e.g. %s prod", ops.Opt(ctx, "Cluster"), ops.Opt(ctx, "Cluster"))
	case r.Batch < 0 || r.Batch > 50:
		return ops.Inputf("invalid %s %d: want 1 to 50 instances drained together", ops.Opt(ctx, "Batch"), r.Batch)
	case r.Surge > 100:
		return ops.Inputf("invalid %s %d: want at most 100 extra instances", ops.Opt(ctx, "Surge"), r.Surge)
	case r.Batch == 0 && r.Surge == 0:
		return ops.Inputf("invalid %s 0 without %s: a batch's replacements run before it drains; give a surge of 1 or more", ops.Opt(ctx, "Surge"), ops.Opt(ctx, "Batch"))
	case r.Surge >= 0 && r.Surge < r.Batch:
		return ops.Inputf("invalid %s %d with %s %d: the surge must be at least the batch size (a batch's replacements run before it drains)", ops.Opt(ctx, "Surge"), r.Surge, ops.Opt(ctx, "Batch"), r.Batch)
	case r.AMI != "" && r.SSMParameter != "":
		return ops.Inputf("%s and %s both given: name the target AMI one way", ops.Opt(ctx, "AMI"), ops.Opt(ctx, "SSMParameter"))
	case r.AMI != "" && !strings.HasPrefix(r.AMI, "ami-"):
		return ops.Inputf("invalid %s %q: want an AMI id like ami-0a1b2c3d4e5f60002", ops.Opt(ctx, "AMI"), r.AMI)
	case r.TimeoutPerBatch < 0:
		return ops.Inputf("invalid %s %s: want a positive duration like 30m", ops.Opt(ctx, "TimeoutPerBatch"), r.TimeoutPerBatch)
	}
	switch r.Standalone {
	case "", StandaloneWait, StandaloneStop, StandaloneAbort:
	default:
		return ops.Inputf("invalid %s %q: want wait, stop or abort", ops.Opt(ctx, "Standalone"), r.Standalone)
	}
	if r.Abort && (r.DryRun || r.UpdateLaunchTemplate) {
		return ops.Inputf("%s takes no %s or %s: it only undoes a rotation in progress", ops.Opt(ctx, "Abort"), ops.Opt(ctx, "DryRun"), ops.Opt(ctx, "UpdateLaunchTemplate"))
	}
	return nil
}

// RotatePlan is the preflight's verdict: what would be done.
type RotatePlan struct {
	RunID          string `json:"runId"`
	Resuming       bool   `json:"resuming"`
	Cluster        string `json:"cluster"`
	ASG            string `json:"autoScalingGroup"`
	TargetAMI      string `json:"targetAmi"`
	AMISource      string `json:"amiSource"`
	LaunchTemplate string `json:"launchTemplate"`
	// LaunchTemplateVersion is the version the ASG launches ($Latest → 7).
	LaunchTemplateVersion string               `json:"launchTemplateVersion"`
	UpdateLaunchTemplate  bool                 `json:"updateLaunchTemplate,omitempty"`
	Original              RotateCapacity       `json:"original"`
	Current               RotateCapacity       `json:"current"`
	Batch                 int                  `json:"batchSize"`
	Surge                 int                  `json:"surge"`
	Batches               int                  `json:"batches"`
	Instances             []RotatePlanInstance `json:"instances"`
	Notes                 []string             `json:"notes,omitempty"`
	Final                 RotateFinal          `json:"expectedFinalState"`
	// Estimate: the plan's duration next to the lower bound.
	Estimate *RotateEstimate `json:"estimate,omitempty"`

	// st is what preflight read: Apply executes exactly this plan,
	// re-checking the fleet against it at each batch.
	st *rotateState
}

// RotateCapacity is an ASG's desired/min/max.
type RotateCapacity struct {
	Desired int `json:"desired"`
	Min     int `json:"min"`
	Max     int `json:"max"`
}

// RotateFinal is the state a successful run leaves.
type RotateFinal struct {
	RotateCapacity
	Instances int    `json:"instances"`
	AMI       string `json:"ami"`
}

// RotatePlanInstance is one old instance in the plan.
type RotatePlanInstance struct {
	InstanceID string         `json:"instanceId"`
	AZ         string         `json:"availabilityZone"`
	AMI        string         `json:"ami"`
	Status     string         `json:"status"`
	Tasks      map[string]int `json:"tasks"` // service (or family:x for standalone) → count
	Batch      int            `json:"batch"`
	State      string         `json:"state,omitempty"` // planned, replaced, draining
}

// RotateBatchResult is one batch of a run.
type RotateBatchResult struct {
	Batch           int      `json:"batch"`
	Instances       []string `json:"instances"`
	DurationSeconds float64  `json:"durationSeconds"`
}

// RotateResult is what a run did.
type RotateResult struct {
	Plan            *RotatePlan         `json:"plan"`
	Outcome         string              `json:"outcome"` // dry-run, completed, paused, aborted, interrupted, failed
	Reason          string              `json:"reason,omitempty"`
	Replaced        []string            `json:"instancesReplaced"`
	Launched        []string            `json:"instancesLaunched"`
	Batches         []RotateBatchResult `json:"batches"`
	MinHealthy      map[string]int      `json:"minHealthyObserved"`
	Final           *RotateCapacity     `json:"finalCapacity,omitempty"`
	Notes           []string            `json:"notes,omitempty"`
	StartedAt       time.Time           `json:"startedAt"`
	FinishedAt      time.Time           `json:"finishedAt"`
	DurationSeconds float64             `json:"durationSeconds"`
}

// Rotator replaces a cluster's old-AMI instances.
type Rotator struct {
	ECS   RotateECS
	ASG   RotateASG
	EC2   RotateEC2
	SSM   RotateSSM
	ELB   DrainELB
	Clock ops.Clock
	// PollInterval between checks (default 5s).
	PollInterval time.Duration
	Progress     func(ops.Event)
	// BootTimeout bounds the wait for new instances (default 15m).
	BootTimeout time.Duration
	// Timings for the plan's estimate (default DefaultRotateTimings).
	Timings *RotateTimings

	observed runObserved // what this run's own instances and tasks took
}

func (r *Rotator) clock() ops.Clock {
	if r.Clock == nil {
		return ops.RealClock{}
	}
	return r.Clock
}

func (r *Rotator) drainer() *Drainer {
	return &Drainer{ECS: r.ECS, ASG: r.ASG, ELB: r.ELB, Clock: r.Clock, PollInterval: r.PollInterval, Progress: r.Progress, seen: &r.observed}
}

// emitEvent sends a prepared event.
func (r *Rotator) emitEvent(ev ops.Event) {
	if r.Progress != nil {
		r.Progress(ev)
	}
}

func (r *Rotator) emit(cluster string, kind ops.EventKind, format string, args ...any) {
	if r.Progress != nil {
		r.Progress(ops.Event{Time: r.clock().Now(), Cluster: cluster, Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
}

// rotateRun is the run record kept in the ASG tag.
type rotateRun struct {
	ID         string
	AMI        string
	Orig       RotateCapacity
	Suspended  bool // ecsctl suspended AZRebalance (resume it at the end)
	Batch      int
	Surge      int
	Standalone string
	// LT and LTVer: the launch template whose version the run changes and
	// the version the group launched before it ("$Latest", "3"), recorded
	// before the change so that --abort can put it back.
	LT    string
	LTVer string
	// Surged is the desired capacity ecsctl last asked for (0: none), recorded
	// before it asks, so that --abort knows the surge is its own even when
	// the run died while the instances were still booting.
	Surged int
	// Procs are processes (besides AZRebalance, comma-separated) ecsctl
	// suspended for the run because they could scale in an old instance
	// (resumed at the end).
	Procs string
}

func (run rotateRun) encode() string {
	v := fmt.Sprintf("id=%s;ami=%s;desired=%d;min=%d;max=%d;suspended=%t;batch=%d;surge=%d;standalone=%s",
		run.ID, run.AMI, run.Orig.Desired, run.Orig.Min, run.Orig.Max, run.Suspended, run.Batch, run.Surge, run.Standalone)
	if run.LT != "" {
		v += ";lt=" + run.LT + ";ltver=" + run.LTVer
	}
	if run.Surged > 0 {
		v += ";surged=" + strconv.Itoa(run.Surged)
	}
	if run.Procs != "" {
		v += ";procs=" + run.Procs
	}
	return v
}

func decodeRotateRun(v string) (rotateRun, error) {
	var run rotateRun
	fields := map[string]string{}
	for _, kv := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(kv, "=")
		fields[k] = val
	}
	num := func(k string) (int, error) {
		n, err := strconv.Atoi(fields[k])
		if err != nil {
			return 0, fmt.Errorf("tag %s has no valid %s (%q): fix or delete the tag", rotateTagRun, k, v)
		}
		return n, nil
	}
	var err error
	run.ID, run.AMI, run.Standalone = fields["id"], fields["ami"], fields["standalone"]
	run.Suspended = fields["suspended"] == "true"
	for k, dst := range map[string]*int{"desired": &run.Orig.Desired, "min": &run.Orig.Min, "max": &run.Orig.Max, "batch": &run.Batch, "surge": &run.Surge} {
		if *dst, err = num(k); err != nil {
			return run, err
		}
	}
	if run.ID == "" || run.AMI == "" {
		return run, fmt.Errorf("tag %s is incomplete (%q): fix or delete the tag", rotateTagRun, v)
	}
	// Recorded only by runs that changed them (and not by older ecsctl).
	run.LT, run.LTVer = fields["lt"], fields["ltver"]
	run.Procs = fields["procs"]
	if _, ok := fields["surged"]; ok {
		if run.Surged, err = num("surged"); err != nil {
			return run, err
		}
	}
	return run, nil
}

// rotateState is everything preflight learnt.
type rotateState struct {
	plan    *RotatePlan
	group   astypes.AutoScalingGroup
	run     *rotateRun // the run in progress, if any
	cluster *drainCluster
	members map[string]astypes.Instance // ASG members by instance id
	oldTags map[string]bool             // instances tagged old by this run
	// batchTags: the batch each old instance was recorded in by this run.
	batchTags map[string]int
	ltID      string
	ltSource  string // version to copy when updating the template
	ltSpec    string // the group's version setting ("$Latest", "3")
	// suspend: processes to suspend for a new run (checkScaleIn).
	suspend []string
	ltAMI   string
	ltType  string
	// standalone is the policy for standalone tasks: the request's, else
	// the resumed run's, else wait.
	standalone string
	// templates are the launch templates the group launches from, the
	// group's first (see rotate_ami.go).
	templates []rotateTemplate
	// watch and res, while the batches run: members that left the group
	// (Spot interruptions) are noticed at every re-check.
	watch *rotateWatch
	res   *RotateResult
	// drainedEarly is the batch drainEarly set DRAINING alongside the one
	// before it (0: none).
	drainedEarly int
	// timings are the estimate's: r.Timings, else the defaults with the
	// moved services' own deregistration delay (planTimings).
	timings *RotateTimings
	// awaiting are the plan's old instances that were InService but not
	// registered in the cluster when it was made (holdUnregistered).
	awaiting map[string]bool
}

// findGroup returns the cluster's ASG: the named one, or the only group
// whose instances are registered in the cluster.
func findGroup(ctx context.Context, api RotateASG, dc *drainCluster, name string) (astypes.AutoScalingGroup, error) {
	if name == "" {
		groups := map[string]bool{}
		ids := make([]string, 0, len(dc.Instances))
		for _, in := range dc.Instances {
			ids = append(ids, in.EC2ID)
		}
		members, err := awsapi.GroupInstances(ctx, api, ids)
		if err != nil {
			return astypes.AutoScalingGroup{}, fmt.Errorf("instances of cluster %s: %w", dc.Name, err)
		}
		for _, i := range members {
			groups[aws.ToString(i.AutoScalingGroupName)] = true
		}
		switch names := slices.Sorted(maps.Keys(groups)); len(names) {
		case 0:
			return astypes.AutoScalingGroup{}, ops.Inputf("no Auto Scaling group runs the instances of cluster %s: name one with %s", dc.Name, ops.Opt(ctx, "ASG"))
		case 1:
			name = names[0]
		default:
			return astypes.AutoScalingGroup{}, ops.Inputf("cluster %s has instances in several Auto Scaling groups (%s): name one with %s", dc.Name, strings.Join(names, ", "), ops.Opt(ctx, "ASG"))
		}
	}
	out, err := api.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return astypes.AutoScalingGroup{}, fmt.Errorf("describe auto scaling group %s: %w", name, err)
	}
	if len(out.AutoScalingGroups) == 0 {
		return astypes.AutoScalingGroup{}, ops.NotFound(ctx, "auto scaling group", name)
	}
	return out.AutoScalingGroups[0], nil
}

func groupTag(g astypes.AutoScalingGroup, key string) (string, bool) {
	for _, t := range g.Tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value), true
		}
	}
	return "", false
}

func groupCapacity(g astypes.AutoScalingGroup) RotateCapacity {
	return RotateCapacity{Desired: int(aws.ToInt32(g.DesiredCapacity)), Min: int(aws.ToInt32(g.MinSize)), Max: int(aws.ToInt32(g.MaxSize))}
}

// liveMember: an ASG member not on its way out.
func liveMember(m astypes.Instance) bool {
	switch m.LifecycleState {
	case astypes.LifecycleStateTerminating, astypes.LifecycleStateTerminatingWait, astypes.LifecycleStateTerminatingProceed,
		astypes.LifecycleStateTerminated, astypes.LifecycleStateDetaching, astypes.LifecycleStateDetached:
		return false
	}
	return true
}

// eachInstance calls fn for every instance of ids that EC2 describes: the
// one read behind instanceTags, instanceTagSet and instanceImages.
func eachInstance(ctx context.Context, api RotateEC2, ids []string, fn func(ec2types.Instance)) error {
	ins, err := awsapi.NewEC2(api).DescribeInstances(ctx, ids)
	if err != nil {
		return err
	}
	for _, in := range ins {
		fn(in)
	}
	return nil
}

// instanceTags returns the given tag's value per instance, for instances that have it.
func instanceTags(ctx context.Context, api RotateEC2, ids []string, key string) (map[string]string, error) {
	out := map[string]string{}
	err := eachInstance(ctx, api, ids, func(in ec2types.Instance) {
		for _, t := range in.Tags {
			if aws.ToString(t.Key) == key {
				out[aws.ToString(in.InstanceId)] = aws.ToString(t.Value)
			}
		}
	})
	return out, err
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Preflight reads everything, changes nothing and returns the plan (or the
// reason to refuse, as an InputError: exit 2, nothing changed).
func (r *Rotator) Preflight(ctx context.Context, req RotateRequest) (*RotatePlan, error) {
	st, err := r.preflight(ctx, req)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	return st.plan, nil
}

// preflight reads the cluster, the group and the run in progress, lays out
// the plan and checks the gates; it changes nothing.
func (r *Rotator) preflight(ctx context.Context, req RotateRequest) (*rotateState, error) {
	dc, err := snapshotCluster(ctx, r.ECS, r.ECS, req.Cluster)
	if err != nil {
		return nil, err
	}
	g, err := findGroup(ctx, r.ASG, dc, req.ASG)
	if err != nil {
		return nil, err
	}
	st := &rotateState{group: g, cluster: dc, members: map[string]astypes.Instance{}, oldTags: map[string]bool{}, batchTags: map[string]int{}, awaiting: map[string]bool{}}
	plan := &RotatePlan{Cluster: req.Cluster, ASG: aws.ToString(g.AutoScalingGroupName), Batch: req.Batch, Surge: req.Surge, Current: groupCapacity(g), st: st}
	st.plan = plan
	for _, m := range g.Instances {
		st.members[aws.ToString(m.InstanceId)] = m
	}
	if v, ok := groupTag(g, rotateTagRun); ok {
		err = r.readRun(ctx, req, st, v)
	} else {
		err = r.newRun(ctx, req, st)
	}
	if err != nil {
		return nil, err
	}
	req.Standalone = standalonePolicy(req, st)
	st.standalone = req.Standalone
	if req.Abort {
		return st, nil
	}
	// The launch template must launch the target AMI.
	if err := r.checkTemplates(ctx, req, st); err != nil {
		return nil, err
	}
	old, err := r.oldInstances(ctx, st)
	if err != nil {
		return nil, err
	}
	var tmpl *drainInstance
	if len(old) > 0 {
		if tmpl, err = r.newInstanceSize(ctx, dc, st.ltType); err != nil {
			return nil, err
		}
	}
	st.timings = r.planTimings(ctx, dc, old)
	ordered := r.layoutPlan(ctx, req, st, old, tmpl)
	r.noteHeld(plan, req.TimeoutPerBatch)
	plan.Final = RotateFinal{RotateCapacity: plan.Original, Instances: plan.Original.Desired, AMI: plan.TargetAMI}
	refusals, err := r.rotateRefusals(ctx, req, st, old, ordered, tmpl)
	if err != nil {
		return nil, err
	}
	if len(refusals) > 0 {
		return nil, ops.Inputf("rotate-ami refused, nothing changed: %s", strings.Join(refusals, "; "))
	}
	return st, nil
}

// readRun takes up the run in progress recorded in the group's tag (v):
// its target, batch size and surge, and the instances it marked old and
// put in batches.
func (r *Rotator) readRun(ctx context.Context, req RotateRequest, st *rotateState, v string) error {
	plan, name := st.plan, st.plan.ASG
	run, err := decodeRotateRun(v)
	if err != nil {
		return ops.Inputf("auto scaling group %s: %v", name, err)
	}
	st.run = &run
	plan.RunID, plan.Resuming, plan.Original = run.ID, true, run.Orig
	plan.TargetAMI, plan.AMISource = run.AMI, "run "+run.ID
	if req.AMI != "" && req.AMI != run.AMI {
		return ops.Inputf("rotation %s of %s to %s is in progress: finish it (re-run without %s) or %s it before rotating to %s", run.ID, name, run.AMI, ops.Opt(ctx, "AMI"), ops.Opt(ctx, "Abort"), req.AMI)
	}
	if !req.Abort {
		plan.Batch, plan.Surge = run.Batch, run.Surge
	}
	ids := slices.Sorted(maps.Keys(st.members))
	tags, err := instanceTagSet(ctx, r.EC2, ids, rotateTagOld, rotateTagBatch)
	if err != nil {
		return err
	}
	for id, kv := range tags {
		if kv[rotateTagOld] == run.ID {
			st.oldTags[id] = true
		}
		if b, ok := recordedBatch(kv[rotateTagBatch], run.ID); ok {
			st.batchTags[id] = b
		}
	}
	return nil
}

// newRun names a new run and resolves its target AMI.
func (r *Rotator) newRun(ctx context.Context, req RotateRequest, st *rotateState) error {
	plan := st.plan
	if req.Abort {
		return ops.Inputf("no rotation in progress on auto scaling group %s (no %s tag): nothing to abort", plan.ASG, rotateTagRun)
	}
	plan.RunID = "rot-" + r.clock().Now().UTC().Format("20060102T150405Z")
	plan.Original = plan.Current
	var err error
	plan.TargetAMI, plan.AMISource, err = r.resolveTarget(ctx, req, st)
	return err
}

// standalonePolicy is the request's, else the resumed run's, else wait.
func standalonePolicy(req RotateRequest, st *rotateState) string {
	switch {
	case req.Standalone != "":
		return req.Standalone
	case st.run != nil && st.run.Standalone != "":
		return st.run.Standalone
	}
	return StandaloneWait
}

// oldInstances are the members registered in the cluster on another AMI
// (or tagged old by this run), then the old members not registered yet
// (holdUnregistered).
func (r *Rotator) oldInstances(ctx context.Context, st *rotateState) ([]*drainInstance, error) {
	var old []*drainInstance
	for _, in := range st.cluster.Instances {
		m, ok := st.members[in.EC2ID]
		if !ok || !liveMember(m) {
			continue
		}
		if in.AMI != st.plan.TargetAMI || st.oldTags[in.EC2ID] {
			old = append(old, in)
		}
	}
	held, err := r.holdUnregistered(ctx, st, unregisteredMembers(st))
	if err != nil {
		return nil, err
	}
	return append(old, held...), nil
}

// rotateRefusals are the gates that make a rotation unsafe or impossible:
// the group's state, unsteady services (for a new run), standalone tasks
// under the abort policy, and batches whose tasks do not fit. It notes
// standalone tasks and daemons in the plan.
func (r *Rotator) rotateRefusals(ctx context.Context, req RotateRequest, st *rotateState, old, ordered []*drainInstance, tmpl *drainInstance) ([]string, error) {
	plan := st.plan
	var refusals []string
	if err := r.checkGroupState(ctx, st, &refusals); err != nil {
		return nil, err
	}
	if st.run == nil {
		refusals = append(refusals, unsteadyServices(st.cluster)...)
	}
	refusals = append(refusals, noteOldTasks(ctx, plan, req.Standalone, old)...)
	if len(old) > 0 {
		if miss := rotateCapacityCheck(st.cluster, ordered, plan, memberZones(st.group), tmpl); len(miss) > 0 {
			refusals = append(refusals, fmt.Sprintf("not enough spare capacity for batch %s: raise %s or add instances first", strings.Join(limitList(miss, 4), "; "), ops.Opt(ctx, "Surge")))
		}
	}
	return refusals, nil
}

// unsteadyServices refuses a new run while a service deploys. A Fargate
// service has no task on the instances: its deployments do not meet the
// rotation.
func unsteadyServices(dc *drainCluster) []string {
	var out []string
	for _, s := range sortedServices(dc) {
		if s.SchedulingStrategy != types.SchedulingStrategyDaemon && !ops.ServiceOnFargate(s) && !serviceSteady(s) {
			out = append(out, fmt.Sprintf("service %s is not steady (%d/%d running, %d deployments): wait for it to settle", aws.ToString(s.ServiceName), s.RunningCount, s.DesiredCount, len(s.Deployments)))
		}
	}
	return out
}

// noteOldTasks notes the standalone tasks and daemons on the old
// instances and returns the refusal of the abort policy.
func noteOldTasks(ctx context.Context, plan *RotatePlan, policy string, old []*drainInstance) []string {
	standalone, daemons := 0, map[string]bool{}
	for _, in := range old {
		for _, t := range in.Tasks {
			switch {
			case t.Service == "":
				standalone++
			case t.Daemon:
				daemons[t.Service] = true
			}
		}
	}
	var refusals []string
	if standalone > 0 {
		msg := fmt.Sprintf("%d standalone task(s) run on old instances; policy %s", standalone, policy)
		switch policy {
		case StandaloneAbort:
			refusals = append(refusals, msg+": re-run with "+ops.Opt(ctx, "Standalone")+" wait or stop")
		case StandaloneWait:
			plan.Notes = append(plan.Notes, msg+" (a batch waits for them to end; "+ops.Opt(ctx, "Standalone")+" stop stops them)")
		default:
			plan.Notes = append(plan.Notes, msg+" (they are stopped when their instance drains)")
		}
	}
	if len(daemons) > 0 {
		plan.Notes = append(plan.Notes, fmt.Sprintf("daemon services %s stop last on draining instances and start on the new ones", strings.Join(slices.Sorted(maps.Keys(daemons)), ", ")))
	}
	return refusals
}

func sortedServices(dc *drainCluster) []types.Service {
	var out []types.Service
	for _, n := range slices.Sorted(maps.Keys(dc.Services)) {
		out = append(out, dc.Services[n])
	}
	return out
}

// checkGroupState reports suspended processes, refreshes, protection and
// capacity providers that interfere with a rotation.
func (r *Rotator) checkGroupState(ctx context.Context, st *rotateState, refusals *[]string) error {
	g, plan := st.group, st.plan
	for _, p := range g.SuspendedProcesses {
		name := aws.ToString(p.ProcessName)
		switch name {
		case "Launch", "Terminate": // checkFleet refuses
		case "AZRebalance":
			if st.run == nil {
				plan.Notes = append(plan.Notes, "AZRebalance is already suspended (left as it is)")
			}
		default:
			plan.Notes = append(plan.Notes, fmt.Sprintf("process %s is suspended on %s", name, plan.ASG))
		}
	}
	f, err := r.checkFleet(ctx, g, plan.Cluster, plan.TargetAMI, true)
	if err != nil {
		return err
	}
	if st.run == nil {
		if err := r.checkScaleIn(ctx, f, g); err != nil {
			return err
		}
		st.suspend = f.suspend
	}
	*refusals = append(*refusals, f.refusals...)
	plan.Notes = append(plan.Notes, f.notes...)
	protected := 0
	for _, m := range g.Instances {
		if aws.ToBool(m.ProtectedFromScaleIn) {
			protected++
		}
	}
	if protected > 0 && st.run == nil {
		plan.Notes = append(plan.Notes, fmt.Sprintf("%d instance(s) of %s are protected from scale-in (ecsctl removes old ones explicitly; protection is left as it is)", protected, plan.ASG))
	}
	return nil
}

// rotateCapacityCheck simulates the batches in order: each batch's moving
// tasks must fit on the instances that stay (not old) plus the surge. It
// returns what does not fit ("2: api (1024 CPU…)").
func rotateCapacityCheck(dc *drainCluster, ordered []*drainInstance, plan *RotatePlan, azCount map[string]int, tmpl *drainInstance) []string {
	oldSet := map[string]bool{}
	for _, in := range ordered {
		oldSet[in.EC2ID] = true
	}
	p := &drainPlacement{services: dc.Services, notes: map[string]bool{}}
	for _, in := range dc.Instances {
		if !oldSet[in.EC2ID] && in.Status == "ACTIVE" {
			p.rooms = append(p.rooms, newRoom(in))
		}
	}
	dcpu, dmem := daemonReserve(dc)
	az := map[string]int{}
	for k, v := range azCount {
		az[k] = v
	}
	var miss []string
	surgeLive := 0
	for b := 1; b <= plan.Batches; b++ {
		var batch []*drainInstance
		for i, pi := range plan.Instances {
			if pi.Batch == b {
				batch = append(batch, ordered[i])
			}
		}
		// The run tops up to original + min(surge, remaining) before each
		// batch; the new instances land in the emptiest zones.
		remaining := 0
		for _, pi := range plan.Instances {
			if pi.Batch >= b {
				remaining++
			}
		}
		want := min(plan.Surge, remaining)
		for i := surgeLive; i < want; i++ {
			zone := ""
			for _, z := range slices.Sorted(maps.Keys(az)) {
				if zone == "" || az[z] < az[zone] {
					zone = z
				}
			}
			az[zone]++
			room := emptyRoom(fmt.Sprintf("new-%d-%d", b, i), zone, tmpl)
			room.cpu -= dcpu
			room.mem -= dmem
			p.rooms = append(p.rooms, room)
		}
		surgeLive = max(want, surgeLive) - len(batch)
		var moving []drainTask
		for _, in := range batch {
			moving = append(moving, movingTasks(in)...)
			az[in.AZ]--
		}
		for _, f := range p.place(moving) {
			miss = append(miss, fmt.Sprintf("%d: %s", b, f))
		}
	}
	for n := range p.notes {
		plan.Notes = append(plan.Notes, n)
	}
	sort.Strings(plan.Notes)
	return miss
}

// newInstanceSize is what a new instance of the launch template's type
// registers: taken from a registered instance of that type, else from EC2.
func (r *Rotator) newInstanceSize(ctx context.Context, dc *drainCluster, itype string) (*drainInstance, error) {
	var best *drainInstance
	for _, in := range dc.Instances {
		if (itype == "" || in.Type == itype) && (best == nil || in.CPUReg > best.CPUReg) {
			best = in
		}
	}
	if best != nil || itype == "" {
		if best == nil {
			best = &drainInstance{}
		}
		return best, nil
	}
	out, err := r.EC2.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{ec2types.InstanceType(itype)}})
	if err != nil {
		return nil, fmt.Errorf("describe instance type %s: %w", itype, err)
	}
	if len(out.InstanceTypes) == 0 || out.InstanceTypes[0].VCpuInfo == nil || out.InstanceTypes[0].MemoryInfo == nil {
		return nil, fmt.Errorf("describe instance type %s: unknown type", itype)
	}
	it := out.InstanceTypes[0]
	// ECS registers all CPU units and the memory less what the OS keeps (about 6 %).
	return &drainInstance{Type: itype, CPUReg: int(aws.ToInt32(it.VCpuInfo.DefaultVCpus)) * 1024,
		MemReg: int(float64(aws.ToInt64(it.MemoryInfo.SizeInMiB)) * 0.94)}, nil
}

// ec2Tag is a one-tag slice.
func ec2Tag(k, v string) []ec2types.Tag {
	return []ec2types.Tag{{Key: aws.String(k), Value: aws.String(v)}}
}
