package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// Instance refreshes (Rolling strategy): the group replaces its instances a
// batch at a time — terminate, then launch from the desired configuration —
// waiting for each replacement to be in service and warm. Terminations are
// not drained (as in AWS without lifecycle hooks). Instances protected from
// scale in are skipped. asgRefreshPoll is how often a refresh looks again.
const asgRefreshPoll = 15 * time.Second

func init() {
	register(SvcAutoScaling, "StartInstanceRefresh", (*Sim).asgStartInstanceRefresh)
	register(SvcAutoScaling, "CancelInstanceRefresh", (*Sim).asgCancelInstanceRefresh)
	register(SvcAutoScaling, "DescribeInstanceRefreshes", (*Sim).asgDescribeInstanceRefreshes)
	registerEvent("asg.refreshStep", (*Sim).asgOnRefreshStep)
}

func (s *Sim) asgStartInstanceRefresh(in *autoscaling.StartInstanceRefreshInput) (*autoscaling.StartInstanceRefreshOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	if in.Strategy != "" && in.Strategy != astypes.RefreshStrategyRolling {
		return nil, validationError("Strategy %s is not supported by the sandbox; use Rolling.", in.Strategy)
	}
	if g.activeRefresh() != nil {
		return nil, apiErr("InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
	}
	r := asgInstanceRefresh{ID: s.newID("uuid"), Status: "Pending", Start: s.now, MinHealthyPercentage: 90, InstanceWarmup: g.HealthCheckGracePeriod}
	if p := in.Preferences; p != nil {
		if p.MinHealthyPercentage != nil {
			v := *p.MinHealthyPercentage
			if v < 0 || v > 100 {
				return nil, validationError("MinHealthyPercentage must be between 0 and 100")
			}
			r.MinHealthyPercentage = v
		}
		if p.InstanceWarmup != nil {
			r.InstanceWarmup = *p.InstanceWarmup
		}
		r.SkipMatching = aws.ToBool(p.SkipMatching)
	}
	if dc := in.DesiredConfiguration; dc != nil && dc.LaunchTemplate != nil {
		lt, err := s.lookupLaunchTemplate(dc.LaunchTemplate.LaunchTemplateId, dc.LaunchTemplate.LaunchTemplateName)
		if err != nil {
			return nil, validationError("You must use a valid fully-formed launch template. %s", err.(*APIError).Message)
		}
		v := aws.ToString(dc.LaunchTemplate.Version)
		if v == "" {
			v = "$Default"
		}
		if _, ok := lt.resolve(v); !ok {
			return nil, validationError("You must use a valid fully-formed launch template. Could not find launch template version %s for template %s", v, lt.ID)
		}
		r.TargetLT, r.TargetVersion = lt.ID, v
	} else if r.SkipMatching {
		return nil, validationError("SkipMatching requires a desired configuration.")
	}
	g.Refreshes = append(g.Refreshes, r)
	ar := &g.Refreshes[len(g.Refreshes)-1]
	for _, m := range g.sortedMembers() {
		if m.active() && (!r.SkipMatching || s.refreshOutdated(g, m)) {
			ar.Remaining = append(ar.Remaining, m.InstanceID)
		}
	}
	ar.ToUpdate = int32(len(ar.Remaining))
	s.rec.timeline(s.now, "asg.instanceRefresh", fmt.Sprintf("%s: instance refresh %s started (%d instances)", g.Name, r.ID, ar.ToUpdate))
	s.after(asgReactDelay, "asg.refreshStep", g.Name)
	return &autoscaling.StartInstanceRefreshOutput{InstanceRefreshId: aws.String(r.ID)}, nil
}

// refreshOutdated reports whether a member was launched from something other
// than the configuration the group launches from now.
func (s *Sim) refreshOutdated(g *asgGroup, m *asgMember) bool {
	ltID, version := g.launchConfig()
	lt := s.ec2.LaunchTemplates[ltID]
	if lt == nil {
		return true
	}
	n, _ := lt.resolve(version)
	in := s.ec2.Instances[m.InstanceID]
	return m.LTVersion != n || in == nil || in.LaunchTemplateID != ltID
}

func (s *Sim) asgOnRefreshStep(name string) {
	g := s.asg.Groups[name]
	if g == nil {
		return
	}
	r := g.activeRefresh()
	if r == nil {
		return
	}
	if r.Status == "Cancelling" {
		r.Status, r.End, r.Reason = "Cancelled", s.now, "Instance Refresh was cancelled."
		s.rec.timeline(s.now, "asg.instanceRefresh", fmt.Sprintf("%s: instance refresh %s cancelled", g.Name, r.ID))
		return
	}
	r.Status = "InProgress"
	again := func(reason string) {
		r.Reason = reason
		s.after(asgRefreshPoll, "asg.refreshStep", name)
	}
	if g.suspended("InstanceRefresh") {
		again("Waiting: the InstanceRefresh process is suspended.")
		return
	}
	warm := s.Timings.InstanceBoot.D() + time.Duration(r.InstanceWarmup)*time.Second
	for _, m := range g.Members {
		if !m.active() || (m.Lifecycle == "Pending") || s.now.Sub(m.LaunchTime) < warm && !contains(r.Remaining, m.InstanceID) {
			again("Waiting for instances to be in service and warmed up.")
			return
		}
	}
	var remaining []string
	for _, id := range r.Remaining {
		if m := g.Members[id]; m != nil && m.active() && !m.Protected {
			remaining = append(remaining, id)
		}
	}
	sort.Strings(remaining)
	r.Remaining = remaining
	if len(remaining) == 0 {
		if g.capacity() < g.Desired {
			again("Waiting for the group to reach its desired capacity.")
			return
		}
		r.Status, r.End, r.Reason = "Successful", s.now, ""
		if r.TargetLT != "" {
			g.LaunchTemplateID, g.Version = r.TargetLT, r.TargetVersion
		}
		s.rec.timeline(s.now, "asg.instanceRefresh", fmt.Sprintf("%s: instance refresh %s successful (%d replaced)", g.Name, r.ID, r.Replaced))
		return
	}
	batch := max(1, g.Desired*int(100-r.MinHealthyPercentage)/100)
	for _, id := range remaining[:min(batch, len(remaining))] {
		m := g.Members[id]
		cause := fmt.Sprintf("At %s an instance was taken out of service in response to an instance refresh.  At %s instance %s was selected for termination.", stamp(s.now), stamp(s.now), id)
		s.asgTerminateMember(g, m, cause, "instance refresh")
		r.Replaced++
	}
	s.asgKick(g, asgReactDelay)
	again("")
}

func (s *Sim) asgCancelInstanceRefresh(in *autoscaling.CancelInstanceRefreshInput) (*autoscaling.CancelInstanceRefreshOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	r := g.activeRefresh()
	if r == nil || r.Status == "Cancelling" {
		return nil, apiErr("ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for Auto Scaling group %s", g.Name)
	}
	r.Status = "Cancelling"
	s.after(asgReactDelay, "asg.refreshStep", g.Name)
	return &autoscaling.CancelInstanceRefreshOutput{InstanceRefreshId: aws.String(r.ID)}, nil
}

func (s *Sim) asgDescribeInstanceRefreshes(in *autoscaling.DescribeInstanceRefreshesInput) (*autoscaling.DescribeInstanceRefreshesOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	limit, last, err := s.asgPage(in.MaxRecords, 50, 100, "refreshes", in.NextToken)
	if err != nil {
		return nil, err
	}
	var keys []string
	byKey := map[string]*asgInstanceRefresh{}
	for i := range g.Refreshes {
		r := &g.Refreshes[i]
		if len(in.InstanceRefreshIds) > 0 && !contains(in.InstanceRefreshIds, r.ID) {
			continue
		}
		k := fmt.Sprintf("%08d", len(g.Refreshes)-i) // newest first
		keys = append(keys, k)
		byKey[k] = r
	}
	sort.Strings(keys)
	page, more := pageMatching(keys, last, limit, func(string) bool { return true })
	out := &autoscaling.DescribeInstanceRefreshesOutput{InstanceRefreshes: []astypes.InstanceRefresh{}}
	for _, k := range page {
		out.InstanceRefreshes = append(out.InstanceRefreshes, s.refreshOut(g, byKey[k]))
	}
	if more {
		out.NextToken = pageToken("refreshes", page[len(page)-1])
	}
	return out, nil
}

func (s *Sim) refreshOut(g *asgGroup, r *asgInstanceRefresh) astypes.InstanceRefresh {
	pct := int32(100)
	if r.ToUpdate > 0 {
		pct = min(100, 100*(r.ToUpdate-int32(len(r.Remaining)))/r.ToUpdate)
	}
	if r.Status == "Pending" {
		pct = 0
	}
	out := astypes.InstanceRefresh{
		AutoScalingGroupName: aws.String(g.Name),
		InstanceRefreshId:    aws.String(r.ID),
		Status:               astypes.InstanceRefreshStatus(r.Status),
		StartTime:            aws.Time(r.Start),
		PercentageComplete:   aws.Int32(pct),
		InstancesToUpdate:    aws.Int32(int32(len(r.Remaining))),
		Strategy:             astypes.RefreshStrategyRolling,
		Preferences: &astypes.RefreshPreferences{
			MinHealthyPercentage: aws.Int32(r.MinHealthyPercentage),
			InstanceWarmup:       aws.Int32(r.InstanceWarmup),
			SkipMatching:         aws.Bool(r.SkipMatching),
		},
	}
	if r.Reason != "" {
		out.StatusReason = aws.String(r.Reason)
	}
	if !r.End.IsZero() {
		out.EndTime = aws.Time(r.End)
	}
	if lt := s.ec2.LaunchTemplates[r.TargetLT]; lt != nil {
		out.DesiredConfiguration = &astypes.DesiredConfiguration{LaunchTemplate: &astypes.LaunchTemplateSpecification{
			LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name), Version: aws.String(r.TargetVersion)}}
	}
	return out
}
