package ops

import (
	"context"
	"fmt"
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
	if g.MixedInstancesPolicy != nil {
		// A LaunchTemplate given to a group with a mixed instances policy
		// replaces the policy (UpdateAutoScalingGroup: the two are mutually
		// exclusive), and the overrides' own versions were not recorded: the
		// policy is left as it is, and so are the versions it names.
		note := fmt.Sprintf("%s has a mixed instances policy: it still launches the launch template versions run %s made for %s; point the policy back at version %s of %s yourself if you want the old AMI",
			plan.ASG, run.ID, run.AMI, run.LTVer, run.LT)
		res.Notes = append(res.Notes, note)
		r.emit(plan.Cluster, EventWarning, "%s", note)
		return nil
	}
	if cur := g.LaunchTemplate; cur == nil || aws.ToString(cur.LaunchTemplateId) != run.LT || aws.ToString(cur.Version) != run.LTVer {
		if _, err := r.ASG.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(plan.ASG),
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(run.LT), Version: aws.String(run.LTVer)}}); err != nil {
			return interrupted(ctx, fmt.Errorf("point auto scaling group %s back at launch template %s version %s: %w", plan.ASG, run.LT, run.LTVer, err))
		}
		r.emit(plan.Cluster, EventInfo, "%s launches launch template %s version %s again", plan.ASG, run.LT, run.LTVer)
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
		r.emit(plan.Cluster, EventInfo, "deleted %d launch template version(s) of %s made by run %s", n, run.LT, run.ID)
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
	r.emit(plan.Cluster, EventInfo, "removing the surge: draining %s", strings.Join(sortedIDs(pick), ", "))
	if _, err := r.drainer().Drain(ctx, DrainBatch{Cluster: plan.Cluster, ASG: plan.ASG, Instances: pick, Standalone: req.Standalone, Timeout: req.TimeoutPerBatch, Batch: 1, Batches: 1}); err != nil {
		return err
	}
	res.Replaced = sortedIDs(pick)
	return nil
}
