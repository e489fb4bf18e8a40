package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// FleetASG reads what else a group carries that rotate-ami and scale
// cluster must respect: warm pools, scaling policies, scheduled actions and
// lifecycle hooks.
type FleetASG interface {
	DescribeWarmPool(ctx context.Context, in *autoscaling.DescribeWarmPoolInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeWarmPoolOutput, error)
	DescribePolicies(ctx context.Context, in *autoscaling.DescribePoliciesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribePoliciesOutput, error)
	DescribeScheduledActions(ctx context.Context, in *autoscaling.DescribeScheduledActionsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeScheduledActionsOutput, error)
	DescribeLifecycleHooks(ctx context.Context, in *autoscaling.DescribeLifecycleHooksInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeLifecycleHooksOutput, error)
}

// fleetCheck is what the group-level preflight found.
type fleetCheck struct {
	refusals []string
	notes    []string
	// suspend: processes that could scale in an old instance with tasks
	// during a rotation, to suspend for the run.
	suspend []string
}

func (f *fleetCheck) refuse(format string, args ...any) {
	f.refusals = append(f.refusals, fmt.Sprintf(format, args...))
}

func (f *fleetCheck) note(format string, args ...any) {
	f.notes = append(f.notes, fmt.Sprintf(format, args...))
}

// checkFleet is the preflight rotate-ami and scale cluster share: suspended
// Launch/Terminate, an instance refresh in progress, capacity providers
// with managed scaling, warm pools. forRotation names the target AMI of a
// rotation ("" for scale cluster, scaleOut when it adds instances).
func (r *Rotator) checkFleet(ctx context.Context, g astypes.AutoScalingGroup, cluster, targetAMI string, scaleOut bool) (*fleetCheck, error) {
	f := &fleetCheck{}
	name := aws.ToString(g.AutoScalingGroupName)
	rotation := targetAMI != ""
	for _, p := range g.SuspendedProcesses {
		if n := aws.ToString(p.ProcessName); n == "Launch" || n == "Terminate" {
			f.refuse("auto scaling group %s has %s suspended: resume it (aws autoscaling resume-processes --auto-scaling-group-name %s --scaling-processes %s)", name, n, name, n)
		}
	}
	// The group's refreshes of the last six weeks, a page at a time
	// (DescribeInstanceRefreshes, Auto Scaling API Reference: MaxRecords
	// default 50, NextToken): one in progress may be on any page.
	var refreshes []astypes.InstanceRefresh
	p := autoscaling.NewDescribeInstanceRefreshesPaginator(r.ASG, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instance refreshes of %s: %w", name, err)
		}
		refreshes = append(refreshes, page.InstanceRefreshes...)
	}
	for _, ir := range refreshes {
		switch ir.Status {
		case astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress, astypes.InstanceRefreshStatusCancelling:
			f.refuse("instance refresh %s of %s is %s: cancel it or wait for it", aws.ToString(ir.InstanceRefreshId), name, ir.Status)
		}
	}
	if err := r.checkCapacityProviders(ctx, f, cluster, name, rotation); err != nil {
		return nil, err
	}
	if err := r.checkWarmPool(ctx, f, g, targetAMI, scaleOut); err != nil {
		return nil, err
	}
	return f, nil
}

// groupCapacityProviders returns the cluster's capacity providers backed
// by the group.
func (r *Rotator) groupCapacityProviders(ctx context.Context, cluster, group string) ([]types.CapacityProvider, error) {
	cl, err := r.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil {
		return nil, fmt.Errorf("describe cluster %s: %w", cluster, err)
	}
	if len(cl.Clusters) != 1 {
		return nil, nil
	}
	cps, err := awsapi.DescribeCapacityProviders(ctx, r.ECS, cl.Clusters[0].CapacityProviders)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	var out []types.CapacityProvider
	for _, cp := range cps {
		ap := cp.AutoScalingGroupProvider
		if ap == nil {
			continue
		}
		if arn := aws.ToString(ap.AutoScalingGroupArn); arn == group || strings.HasSuffix(arn, "/"+group) {
			out = append(out, cp)
		}
	}
	return out, nil
}

// checkCapacityProviders refuses managed scaling: ECS sets the group's
// desired capacity itself (a target tracking policy on
// CapacityProviderReservation), so it would take back a rotation's surge or
// a manual scale — ecsctl does not fight it over desired capacity.
func (r *Rotator) checkCapacityProviders(ctx context.Context, f *fleetCheck, cluster, group string, rotation bool) error {
	cps, err := r.groupCapacityProviders(ctx, cluster, group)
	if err != nil {
		return err
	}
	for _, cp := range cps {
		ap, cpName := cp.AutoScalingGroupProvider, aws.ToString(cp.Name)
		if ap.ManagedScaling != nil && ap.ManagedScaling.Status == types.ManagedScalingStatusEnabled {
			disable := fmt.Sprintf("aws ecs update-capacity-provider --name %s --auto-scaling-group-provider 'managedScaling={status=DISABLED}'", cpName)
			if rotation {
				instead := "disable managed scaling for the rotation (" + disable + ") and enable it after"
				if ap.ManagedDraining == types.ManagedDrainingEnabled {
					instead = "rotate with an instance refresh, which ECS managed draining drains instance by instance (aws autoscaling start-instance-refresh --auto-scaling-group-name " + group + "), or " + instead
				}
				f.refuse("capacity provider %s has managed scaling on %s: ECS sets its desired capacity itself and would take back the surge; %s", cpName, group, instead)
			} else {
				f.refuse("capacity provider %s has managed scaling on %s: ECS sets its desired capacity from the tasks and would undo the change; scale the services (ECS then scales %s), or set the capacity provider's target capacity or the group's min/max size, or disable managed scaling first (%s)", cpName, group, group, disable)
			}
		}
		if ap.ManagedTerminationProtection == types.ManagedTerminationProtectionEnabled {
			f.note("capacity provider %s has managed termination protection (ecsctl removes drained instances explicitly)", cpName)
		}
	}
	return nil
}

// checkWarmPool refuses a warm pool whose instances run another AMI than
// the target (a rotation's new instances would come from the pool, on the
// old AMI) or, for a scale-out, than every in-service member runs.
func (r *Rotator) checkWarmPool(ctx context.Context, f *fleetCheck, g astypes.AutoScalingGroup, targetAMI string, scaleOut bool) error {
	name := aws.ToString(g.AutoScalingGroupName)
	members, err := awsapi.WarmPoolInstances(ctx, r.ASG, name)
	if err != nil {
		return err
	}
	var pool []string
	for _, i := range members {
		pool = append(pool, aws.ToString(i.InstanceId))
	}
	if len(pool) == 0 {
		return nil
	}
	want := targetAMI
	if want == "" {
		// What a fresh launch would get.
		ami, err := r.groupTemplateAMI(ctx, g)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(ami, "ami-") { // resolve:ssm: or no template: not comparable
			f.note("warm pool of %s: %d instance(s)", name, len(pool))
			return nil
		}
		want = ami
	}
	amis, err := instanceImages(ctx, r.EC2, pool)
	if err != nil {
		return err
	}
	stale := map[string]int{}
	for _, id := range pool {
		if a := amis[id]; a != want {
			stale[a]++
		}
	}
	if len(stale) == 0 {
		f.note("warm pool of %s: %d instance(s), all on %s", name, len(pool), want)
		return nil
	}
	var desc []string
	for _, a := range slices.Sorted(maps.Keys(stale)) {
		desc = append(desc, fmt.Sprintf("%d on %s", stale[a], a))
	}
	refresh := fmt.Sprintf("refresh the pool first (aws autoscaling delete-warm-pool --auto-scaling-group-name %s --force-delete, then put-warm-pool again once the launch template launches the AMI you want)", name)
	switch {
	case targetAMI != "":
		f.refuse("warm pool of %s holds %s, not the target %s: the rotation's new instances would come out of the pool on the old AMI; %s, or rotate with an instance refresh, which replaces the warm pool too", name, strings.Join(desc, ", "), targetAMI, refresh)
	case scaleOut:
		f.refuse("warm pool of %s holds %s, while its launch template launches %s: the scale-out would bring the pool's instances in first; %s", name, strings.Join(desc, ", "), want, refresh)
	default:
		f.note("warm pool of %s holds %s, while its launch template launches %s", name, strings.Join(desc, ", "), want)
	}
	return nil
}

// instanceImages returns each instance's AMI.
func instanceImages(ctx context.Context, api RotateEC2, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := eachInstance(ctx, api, ids, func(in ec2types.Instance) {
		out[aws.ToString(in.InstanceId)] = aws.ToString(in.ImageId)
	})
	return out, err
}

// checkScaleIn finds what could scale the group in during a rotation on its
// own — scaling policies (through their CloudWatch alarms) and scheduled
// actions — and plans to suspend AlarmNotification and ScheduledActions for
// the run: the group's own scale-in picks by its termination policy, and an
// old instance still running tasks is exactly what it would pick (new ones
// are protected). Scheduled actions due meanwhile are skipped by Auto
// Scaling (EC2 Auto Scaling user guide, "Suspend and resume processes").
func (r *Rotator) checkScaleIn(ctx context.Context, f *fleetCheck, g astypes.AutoScalingGroup) error {
	name := aws.ToString(g.AutoScalingGroupName)
	suspended := map[string]bool{}
	for _, p := range g.SuspendedProcesses {
		suspended[aws.ToString(p.ProcessName)] = true
	}
	pols, err := awsapi.ScalingPolicies(ctx, r.ASG, name)
	if err != nil {
		return err
	}
	var policies []string
	for _, p := range pols {
		if p.Enabled == nil || aws.ToBool(p.Enabled) {
			policies = append(policies, aws.ToString(p.PolicyName))
		}
	}
	acts, err := awsapi.ScheduledActions(ctx, r.ASG, name)
	if err != nil {
		return err
	}
	var actions []string
	for _, a := range acts {
		actions = append(actions, aws.ToString(a.ScheduledActionName))
	}
	if len(policies) > 0 && !suspended["AlarmNotification"] {
		f.suspend = append(f.suspend, "AlarmNotification")
		f.note("scaling policies %s could scale %s in mid-run and pick an old instance with tasks: AlarmNotification is suspended for the run (no scaling on load until it ends)", strings.Join(limitList(policies, 4), ", "), name)
	}
	if len(actions) > 0 && !suspended["ScheduledActions"] {
		f.suspend = append(f.suspend, "ScheduledActions")
		f.note("scheduled actions %s could change %s's capacity mid-run: ScheduledActions is suspended for the run (actions due meanwhile are skipped)", strings.Join(limitList(actions, 4), ", "), name)
	}
	return nil
}

// terminatingHookTimeout is the longest heartbeat timeout of the group's
// terminating lifecycle hooks (0: none).
func (r *Rotator) terminatingHookTimeout(ctx context.Context, group string) (time.Duration, error) {
	out, err := r.ASG.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		return 0, fmt.Errorf("describe lifecycle hooks of %s: %w", group, err)
	}
	var d time.Duration
	for _, h := range out.LifecycleHooks {
		if aws.ToString(h.LifecycleTransition) == "autoscaling:EC2_INSTANCE_TERMINATING" {
			d = max(d, time.Duration(aws.ToInt32(h.HeartbeatTimeout))*time.Second)
		}
	}
	return d, nil
}

// waitTerminations follows instances ecsctl terminated until they have left
// the group. Instances held in Terminating:Wait by a lifecycle hook are
// waited for up to the hook's heartbeat timeout (then Auto Scaling applies
// its default result); ecsctl never completes a hook itself, as it cannot
// know what else the hook's owner does before letting the instance go. The
// wait is bounded by limit, or by the hook's timeout when that is longer.
func (r *Rotator) waitTerminations(ctx context.Context, cluster, group string, ids []string, limit time.Duration) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	hook, err := r.terminatingHookTimeout(ctx, group)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	// The hook's timeout runs from each instance's termination; waiting
	// that long from now is enough for all of them, plus a shutdown.
	bound := limit
	if hook > 0 {
		bound = max(limit, hook+5*time.Minute)
	}
	deadline := r.clock().Now().Add(bound)
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	d := r.drainer()
	last := ""
	for {
		g, err := r.describeGroup(ctx, group)
		if err != nil && !awsapi.Transient(err) {
			return nil, interrupted(ctx, err)
		}
		var waiting []string
		held := 0
		if err == nil {
			for _, m := range g.Instances {
				if id := aws.ToString(m.InstanceId); want[id] && m.LifecycleState != astypes.LifecycleStateTerminated {
					waiting = append(waiting, id)
					if m.LifecycleState == astypes.LifecycleStateTerminatingWait {
						held++
					}
				}
			}
			sort.Strings(waiting)
			if len(waiting) == 0 {
				return nil, nil
			}
		}
		why := fmt.Sprintf("%d terminated instance(s) still in %s (%d held by a lifecycle hook, heartbeat timeout %s)", len(waiting), group, held, hook)
		if err == nil && why != last {
			r.emit(cluster, ops.EventProgress, "waiting for terminations: %s", why)
			last = why
		}
		if r.clock().Now().After(deadline) {
			return waiting, nil
		}
		if err := d.sleep(ctx, d.interval()); err != nil {
			return nil, err
		}
	}
}

// runSuspends lists the processes a run suspends (and resumes at the end).
func runSuspends(run rotateRun) []string {
	var out []string
	if run.Suspended {
		out = append(out, "AZRebalance")
	}
	if run.Procs != "" {
		out = append(out, strings.Split(run.Procs, ",")...)
	}
	return out
}

// followTerminations waits for the instances a run terminated to leave the
// group and notes the ones a lifecycle hook still holds.
func (r *Rotator) followTerminations(ctx context.Context, cluster, group string, ids []string, limit time.Duration, notes *[]string) error {
	left, err := r.waitTerminations(ctx, cluster, group, ids, limit)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		*notes = append(*notes, fmt.Sprintf("%d terminated instance(s) of %s still wait on a lifecycle hook (%s): the hook's owner holds them; Auto Scaling terminates them at its timeout", len(left), group, strings.Join(limitList(left, 5), ", ")))
	}
	return nil
}

func suspendedList(run rotateRun) string {
	if p := runSuspends(run); len(p) > 0 {
		return strings.Join(p, ", ")
	}
	return "no process"
}

// groupTemplateAMI is the ImageId of the launch template version the group
// launches ("" without a launch template).
func (r *Rotator) groupTemplateAMI(ctx context.Context, g astypes.AutoScalingGroup) (string, error) {
	spec := g.LaunchTemplate
	if spec == nil && g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil {
		spec = g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
	}
	if spec == nil {
		return "", nil
	}
	version := aws.ToString(spec.Version)
	if version == "" {
		version = "$Default"
	}
	in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
	if spec.LaunchTemplateId != nil {
		in.LaunchTemplateId = spec.LaunchTemplateId
	} else {
		in.LaunchTemplateName = spec.LaunchTemplateName
	}
	out, err := r.EC2.DescribeLaunchTemplateVersions(ctx, in)
	if err != nil {
		return "", fmt.Errorf("describe launch template %s%s version %s: %w", aws.ToString(spec.LaunchTemplateName), aws.ToString(spec.LaunchTemplateId), version, err)
	}
	if len(out.LaunchTemplateVersions) == 0 || out.LaunchTemplateVersions[0].LaunchTemplateData == nil {
		return "", nil
	}
	return aws.ToString(out.LaunchTemplateVersions[0].LaunchTemplateData.ImageId), nil
}
