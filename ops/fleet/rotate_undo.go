package fleet

import (
	"context"
	"ecsctl/ops"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// What a run changes is recorded in the group's run tag before it is
// changed, so that --abort can undo it whatever point the run died at.

// recordRun writes the run record to the group's tag.
func (r *Rotator) recordRun(ctx context.Context, plan *RotatePlan, run rotateRun) error {
	if _, err := r.ASG.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{
		ResourceId: aws.String(plan.ASG), ResourceType: aws.String("auto-scaling-group"), Key: aws.String(rotateTagRun),
		Value: aws.String(run.encode()), PropagateAtLaunch: aws.Bool(false)}}}); err != nil {
		return fmt.Errorf("tag auto scaling group %s with the run record: %w", plan.ASG, err)
	}
	return nil
}

// recordSurge notes the desired capacity the run is about to ask for.
func (r *Rotator) recordSurge(ctx context.Context, plan *RotatePlan, run *rotateRun, want int) error {
	if want <= run.Surged {
		return nil
	}
	run.Surged = want
	return r.recordRun(ctx, plan, *run)
}

// runVersionDescription marks the launch template versions a run creates
// (--abort finds them by it, even one made just before a kill).
func runVersionDescription(runID, ami string) string {
	return "ecsctl rotate-ami " + runID + ": " + ami
}

// versionFrom follows the run's description with the version the group
// named before (" from $Default"): --abort puts a mixed instances policy's
// specs back from it, the overrides' included (their settings are not in
// the run tag, which Auto Scaling caps at 256 characters).
const versionFrom = " from "

// updateLaunchTemplate creates versions launching the target AMI (of the
// group's template and, in a mixed instances policy, of every override's)
// and points the group at them: updateTemplates (rotate_ami.go). The
// versions carry runVersionDescription, so --abort finds them.
func (r *Rotator) updateLaunchTemplate(ctx context.Context, st *rotateState) error {
	return r.updateTemplates(ctx, st)
}

// restoreLaunchTemplate points the group back at the launch template
// version it launched before the run and deletes the versions the run
// created (with "$Latest" they would otherwise go on launching the target).
func (r *Rotator) restoreLaunchTemplate(ctx context.Context, plan *RotatePlan, run rotateRun, res *RotateResult) error {
	if run.LT == "" {
		return nil
	}
	g, err := r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return interrupted(ctx, err)
	}
	if mp := g.MixedInstancesPolicy; mp != nil && mp.LaunchTemplate != nil {
		return r.restoreMixedTemplates(ctx, plan, run, mp.LaunchTemplate, res)
	}
	if cur := g.LaunchTemplate; cur == nil || aws.ToString(cur.LaunchTemplateId) != run.LT || aws.ToString(cur.Version) != run.LTVer {
		if _, err := r.ASG.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(plan.ASG),
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(run.LT), Version: aws.String(run.LTVer)}}); err != nil {
			return interrupted(ctx, fmt.Errorf("point auto scaling group %s back at launch template %s version %s: %w", plan.ASG, run.LT, run.LTVer, err))
		}
		r.emit(plan.Cluster, ops.EventInfo, "%s launches launch template %s version %s again", plan.ASG, run.LT, run.LTVer)
	}
	prefix := runVersionDescription(run.ID, "")
	var mine []string
	p := ec2.NewDescribeLaunchTemplateVersionsPaginator(r.EC2, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(run.LT)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return interrupted(ctx, fmt.Errorf("describe versions of launch template %s: %w", run.LT, err))
		}
		for _, v := range out.LaunchTemplateVersions {
			if strings.HasPrefix(aws.ToString(v.VersionDescription), prefix) && !aws.ToBool(v.DefaultVersion) {
				mine = append(mine, strconv.FormatInt(aws.ToInt64(v.VersionNumber), 10))
			}
		}
	}
	if len(mine) == 0 {
		return nil
	}
	out, err := r.EC2.DeleteLaunchTemplateVersions(ctx, &ec2.DeleteLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(run.LT), Versions: mine})
	if err != nil {
		return interrupted(ctx, fmt.Errorf("delete launch template %s versions %s made by run %s: %w", run.LT, strings.Join(mine, ", "), run.ID, err))
	}
	for _, f := range out.UnsuccessfullyDeletedLaunchTemplateVersions {
		msg := ""
		if f.ResponseError != nil {
			msg = aws.ToString(f.ResponseError.Message)
		}
		res.Notes = append(res.Notes, fmt.Sprintf("launch template %s version %d made by run %s was not deleted: %s", run.LT, aws.ToInt64(f.VersionNumber), run.ID, msg))
	}
	if n := len(out.SuccessfullyDeletedLaunchTemplateVersions); n > 0 {
		r.emit(plan.Cluster, ops.EventInfo, "deleted %d launch template version(s) of %s made by run %s", n, run.LT, run.ID)
	}
	return nil
}

// restoreMixedTemplates points every spec of a mixed instances policy
// (the group's template and the overrides') that names a version the run
// made back at the version it named before, read from the version's
// description, in one UpdateAutoScalingGroup carrying only the policy (a
// LaunchTemplate would replace the policy: the two are mutually exclusive),
// then deletes the run's versions.
func (r *Rotator) restoreMixedTemplates(ctx context.Context, plan *RotatePlan, run rotateRun, lt *astypes.LaunchTemplate, res *RotateResult) error {
	prefix := runVersionDescription(run.ID, "")
	made := map[string][]string{} // template id → versions the run made
	changed := false
	restore := func(spec *astypes.LaunchTemplateSpecification) (*astypes.LaunchTemplateSpecification, error) {
		if spec == nil {
			return nil, nil
		}
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{aws.ToString(spec.Version)}}
		if spec.LaunchTemplateId != nil {
			in.LaunchTemplateId = spec.LaunchTemplateId
		} else {
			in.LaunchTemplateName = spec.LaunchTemplateName
		}
		if aws.ToString(spec.Version) == "" {
			in.Versions = []string{"$Default"}
		}
		out, err := r.EC2.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe launch template %s%s version %s: %w", aws.ToString(spec.LaunchTemplateId), aws.ToString(spec.LaunchTemplateName), aws.ToString(spec.Version), err)
		}
		if len(out.LaunchTemplateVersions) == 0 {
			return spec, nil
		}
		v := out.LaunchTemplateVersions[0]
		desc := aws.ToString(v.VersionDescription)
		before, ok := "", false
		if strings.HasPrefix(desc, prefix) {
			if i := strings.LastIndex(desc, versionFrom); i >= 0 {
				before, ok = desc[i+len(versionFrom):], true
			}
		}
		if !ok || before == "" {
			return spec, nil
		}
		id := aws.ToString(v.LaunchTemplateId)
		made[id] = append(made[id], strconv.FormatInt(aws.ToInt64(v.VersionNumber), 10))
		changed = true
		return &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(id), Version: aws.String(before)}, nil
	}
	main, err := restore(lt.LaunchTemplateSpecification)
	if err != nil {
		return interrupted(ctx, err)
	}
	policy := &astypes.LaunchTemplate{LaunchTemplateSpecification: main}
	for _, o := range lt.Overrides {
		if o.LaunchTemplateSpecification, err = restore(o.LaunchTemplateSpecification); err != nil {
			return interrupted(ctx, err)
		}
		policy.Overrides = append(policy.Overrides, o)
	}
	if !changed {
		return nil
	}
	if _, err := r.ASG.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(plan.ASG),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: policy}}); err != nil {
		return interrupted(ctx, fmt.Errorf("point the mixed instances policy of %s back at the launch template versions it named before run %s: %w", plan.ASG, run.ID, err))
	}
	r.emit(plan.Cluster, ops.EventInfo, "%s's mixed instances policy launches the launch template versions it named before run %s again", plan.ASG, run.ID)
	for _, id := range slices.Sorted(maps.Keys(made)) {
		out, err := r.EC2.DeleteLaunchTemplateVersions(ctx, &ec2.DeleteLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id), Versions: made[id]})
		if err != nil {
			return interrupted(ctx, fmt.Errorf("delete launch template %s versions %s made by run %s: %w", id, strings.Join(made[id], ", "), run.ID, err))
		}
		for _, f := range out.UnsuccessfullyDeletedLaunchTemplateVersions {
			msg := ""
			if f.ResponseError != nil {
				msg = aws.ToString(f.ResponseError.Message)
			}
			res.Notes = append(res.Notes, fmt.Sprintf("launch template %s version %d made by run %s was not deleted: %s", id, aws.ToInt64(f.VersionNumber), run.ID, msg))
		}
	}
	return nil
}

// removeSurge drains away what the run added above the original desired
// capacity. Instances still booting are waited for first: one judged
// empty before its agent registers could get a task the moment after.
func (r *Rotator) removeSurge(ctx context.Context, req RotateRequest, st *rotateState, res *RotateResult) error {
	plan, run := st.plan, *st.run
	surplus := int(aws.ToInt32(st.group.DesiredCapacity)) - run.Orig.Desired
	if run.Surged > 0 {
		surplus = min(surplus, run.Surged-run.Orig.Desired)
	}
	if surplus <= 0 {
		return nil
	}
	onlyMarked := run.Surged == 0 // a run record from before surges were recorded
	if !onlyMarked {
		if _, err := r.waitInstances(ctx, plan.Cluster, plan.ASG, st.oldTags, "", -1, req.TimeoutPerBatch); err != nil {
			return err
		}
	}
	g, err := r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return interrupted(ctx, err)
	}
	surplus = min(surplus, int(aws.ToInt32(g.DesiredCapacity))-run.Orig.Desired)
	if surplus <= 0 {
		return nil
	}
	dc, err := snapshotCluster(ctx, r.ECS, r.ECS, plan.Cluster)
	if err != nil {
		return interrupted(ctx, err)
	}
	var ids []string
	for _, m := range g.Instances {
		ids = append(ids, aws.ToString(m.InstanceId))
	}
	marked, err := instanceTags(ctx, r.EC2, ids, rotateTagProtected)
	if err != nil {
		return interrupted(ctx, err)
	}
	var cands []*drainInstance
	for _, in := range dc.Instances {
		m, ok := findMember(g, in.EC2ID)
		if !ok || !liveMember(m) || st.oldTags[in.EC2ID] || in.Status != "ACTIVE" {
			continue
		}
		if onlyMarked && marked[in.EC2ID] != run.ID {
			continue
		}
		cands = append(cands, in)
	}
	// The emptiest first; among equals the ones this run launched.
	sort.SliceStable(cands, func(i, j int) bool {
		if a, b := len(movingTasks(cands[i])), len(movingTasks(cands[j])); a != b {
			return a < b
		}
		return marked[cands[i].EC2ID] == run.ID && marked[cands[j].EC2ID] != run.ID
	})
	pick := map[string]string{}
	for _, in := range cands[:min(surplus, len(cands))] {
		pick[in.EC2ID] = in.Arn
	}
	if len(pick) == 0 {
		return nil
	}
	r.emit(plan.Cluster, ops.EventInfo, "removing the surge: draining %s", strings.Join(slices.Sorted(maps.Keys(pick)), ", "))
	if _, err := r.drainer().Drain(ctx, DrainBatch{Cluster: plan.Cluster, ASG: plan.ASG, Instances: pick, Standalone: req.Standalone, Timeout: req.TimeoutPerBatch, Batch: 1, Batches: 1}); err != nil {
		return err
	}
	res.Replaced = slices.Sorted(maps.Keys(pick))
	return nil
}
