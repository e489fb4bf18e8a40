package sim

import (
	"fmt"
	"sort"
	"time"
)

// Auto Scaling in motion. A group reconciles when something changes (its
// desired capacity, a member's lifecycle, a resumed process): it launches
// toward desired, terminates above it and, when zones drift out of balance,
// rebalances. Nothing here runs on a periodic tick.
//
// Delays (virtual time):
//   - asgReactDelay: a group acts this long after a change.
//   - asgHealthCheckDelay: a member terminated through EC2 is found
//     unhealthy this long after it starts shutting down.
//   - asgRebalanceDelay: zones must stay out of balance this long before
//     AZRebalance launches in the short zone.
//   - asgHookDelay: terminating lifecycle hooks complete (CONTINUE) this long
//     after the instance enters Terminating:Wait — the sandbox runs no drain
//     automation behind a hook.
//   - asgLaunchRetry: a failed launch is retried this long after.
const (
	asgReactDelay       = 5 * time.Second
	asgHealthCheckDelay = 30 * time.Second
	asgRebalanceDelay   = 60 * time.Second
	asgHookDelay        = 30 * time.Second
	asgLaunchRetry      = 60 * time.Second

	hookTerminating = "autoscaling:EC2_INSTANCE_TERMINATING"
	hookLaunching   = "autoscaling:EC2_INSTANCE_LAUNCHING"
)

func init() {
	registerEvent("asg.reconcile", (*Sim).asgOnReconcile)
	registerEvent("asg.healthCheck", (*Sim).asgOnHealthCheck)
	registerEvent("asg.hookDone", (*Sim).asgOnHookDone)
}

// asgKick queues a reconcile of g delay from now (unless one is queued no
// later than that).
func (s *Sim) asgKick(g *asgGroup, delay time.Duration) {
	at := s.now.Add(delay)
	if !g.ReconcileAt.IsZero() && !g.ReconcileAt.After(at) {
		return
	}
	g.ReconcileAt = at
	s.schedule(at, "asg.reconcile", g.Name)
}

func (s *Sim) asgOnReconcile(name string) {
	g := s.asg.Groups[name]
	if g == nil {
		return
	}
	if !g.ReconcileAt.After(s.now) {
		g.ReconcileAt = time.Time{}
	}
	s.asgReconcile(g)
}

// stamp formats a time as Auto Scaling's activity causes do.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// asgReconcile brings a group's capacity to its desired capacity.
func (s *Sim) asgReconcile(g *asgGroup) {
	n := g.capacity()
	if n < g.Desired && !g.suspended("Launch") && !s.now.Before(g.LaunchRetryAt) {
		for n < g.Desired {
			cause := fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.", stamp(s.now), n, n+1)
			if g.DesiredCause != "" {
				cause = g.DesiredCause + "  " + cause
			}
			if s.asgLaunch(g, "", cause, false) != nil {
				break
			}
			n++
		}
	}
	if n <= g.Desired {
		g.RebalanceSurge = 0 // nothing above desired is left to balance away
	}
	if excess := n - g.Desired; excess > 0 && !g.suspended("Terminate") {
		if g.RebalanceSurge > 0 && g.hasPending() {
			return // the rebalancing launch must be in service first
		}
		rebalancing := g.RebalanceSurge > 0
		g.RebalanceSurge = 0
		for ; excess > 0; excess-- {
			v := s.asgPickVictim(g)
			if v == nil {
				break
			}
			var cause string
			if rebalancing {
				cause = fmt.Sprintf("At %s an instance was taken out of service in response to an AZ rebalancing activity, shrinking the capacity from %d to %d.  At %s instance %s was selected for termination.", stamp(s.now), n, n-1, stamp(s.now), v.InstanceID)
			} else {
				cause = fmt.Sprintf("At %s an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from %d to %d.  At %s instance %s was selected for termination.", stamp(s.now), n, n-1, stamp(s.now), v.InstanceID)
				if g.DesiredCause != "" {
					cause = g.DesiredCause + "  " + cause
				}
			}
			why := "scale-in"
			if rebalancing {
				why = "AZRebalance"
			}
			s.asgTerminateMember(g, v, cause, why)
			n--
		}
	}
	s.asgCheckBalance(g)
}

func (g *asgGroup) hasPending() bool {
	for _, m := range g.Members {
		if m.Lifecycle == "Pending" {
			return true
		}
	}
	return false
}

// azCounts counts the active members per zone, over the group's zones.
func (g *asgGroup) azCounts() map[string]int {
	counts := map[string]int{}
	for _, az := range g.AZs {
		counts[az] = 0
	}
	for _, m := range g.Members {
		if m.active() {
			counts[m.AZ]++
		}
	}
	return counts
}

// launchAZ is the group's zone with the fewest active members (the first
// such zone in the group's order).
func (g *asgGroup) launchAZ() string {
	counts := g.azCounts()
	best := ""
	for _, az := range g.AZs {
		if best == "" || counts[az] < counts[best] {
			best = az
		}
	}
	return best
}

// asgCheckBalance is AZRebalance: when the group is at its desired capacity,
// nothing is pending and the zones differ by more than one instance for
// asgRebalanceDelay, it launches one instance in the shortest zone; once that
// is in service, reconcile terminates one in the longest zone — without
// draining it. Suspending AZRebalance (or Launch or Terminate) stops it.
func (s *Sim) asgCheckBalance(g *asgGroup) {
	if g.suspended("AZRebalance") || g.suspended("Launch") || g.suspended("Terminate") || len(g.AZs) < 2 {
		g.RebalanceDueAt = time.Time{}
		return
	}
	n := g.capacity()
	if n != g.Desired || g.RebalanceSurge > 0 || g.hasPending() {
		return
	}
	counts := g.azCounts()
	lo, hi := -1, -1
	for _, az := range g.AZs {
		c := counts[az]
		if lo < 0 || c < lo {
			lo = c
		}
		if c > hi {
			hi = c
		}
	}
	outside := 0 // members in zones the group no longer uses
	for _, m := range g.Members {
		if m.active() && indexOf(g.AZs, m.AZ) < 0 {
			outside++
		}
	}
	if hi-lo <= 1 && outside == 0 {
		g.RebalanceDueAt = time.Time{}
		return
	}
	if g.RebalanceDueAt.IsZero() {
		g.RebalanceDueAt = s.now.Add(asgRebalanceDelay)
		s.asgKick(g, asgRebalanceDelay)
		return
	}
	if s.now.Before(g.RebalanceDueAt) {
		return
	}
	g.RebalanceDueAt = time.Time{}
	limit := g.Max + max(1, g.Max/10) // rebalancing may exceed max by 10% (at least 1)
	if n+1 > limit {
		return
	}
	az := g.launchAZ()
	cause := fmt.Sprintf("At %s instances were launched to balance instances in zones %s with other zones resulting in more than desired number of instances in the group.  At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.", stamp(s.now), az, stamp(s.now), n, n+1)
	if s.asgLaunch(g, az, cause, true) == nil {
		g.RebalanceSurge++
	}
}

// asgPickVictim chooses the member to terminate for scale-in, never a
// protected one: members in zones the group no longer uses first, else the
// zones with the most active members (and an unprotected one), then the
// group's termination policies over the candidates of those zones. Default is, in order: a
// launch template version other than the group's current one, the oldest
// such version, the closest to the next instance hour, and finally the lowest
// instance ID (AWS picks at random there; the sandbox is deterministic).
func (s *Sim) asgPickVictim(g *asgGroup) *asgMember {
	counts := g.azCounts()
	unprotected := map[string][]*asgMember{}
	for _, m := range g.sortedMembers() {
		if m.active() && !m.Protected {
			unprotected[m.AZ] = append(unprotected[m.AZ], m)
		}
	}
	zones := make([]string, 0, len(unprotected))
	for az := range unprotected {
		zones = append(zones, az)
	}
	if len(zones) == 0 {
		if !g.BlockedScaleIn {
			g.BlockedScaleIn = true
			s.rec.timeline(s.now, "asg.scaleInBlocked", fmt.Sprintf("%s: desired %d below capacity %d but every instance is protected from scale in", g.Name, g.Desired, g.capacity()))
		}
		return nil
	}
	g.BlockedScaleIn = false
	order := func(az string) int {
		if i := indexOf(g.AZs, az); i >= 0 {
			return i
		}
		return -1 // zones the group no longer uses go first
	}
	sort.Slice(zones, func(i, j int) bool {
		oi, oj := order(zones[i]), order(zones[j])
		if (oi < 0) != (oj < 0) {
			return oi < 0
		}
		if counts[zones[i]] != counts[zones[j]] {
			return counts[zones[i]] > counts[zones[j]]
		}
		return oi < oj
	})
	// Zones tied with the first pool their candidates; the policies choose.
	var cands []*asgMember
	for _, az := range zones {
		if (order(az) < 0) != (order(zones[0]) < 0) || counts[az] != counts[zones[0]] {
			break
		}
		cands = append(cands, unprotected[az]...)
	}
	outdated := func(m *asgMember) bool {
		// A mixed group's member is current on its own type's template.
		curLT, curVersion := g.templateFor(m.InstanceType)
		current := int64(-1)
		if lt := s.ec2.LaunchTemplates[curLT]; lt != nil {
			if n, ok := lt.resolve(curVersion); ok {
				current = n
			}
		}
		in := s.ec2.Instances[m.InstanceID]
		return m.LTVersion != current || (in != nil && in.LaunchTemplateID != curLT)
	}
	untilHour := func(m *asgMember) time.Duration {
		return time.Hour - s.now.Sub(m.LaunchTime)%time.Hour
	}
	type cmp func(a, b *asgMember) int // <0: a goes first
	byPolicy := map[string][]cmp{
		"OldestLaunchTemplate": {
			func(a, b *asgMember) int { return boolCmp(outdated(a), outdated(b)) },
			func(a, b *asgMember) int { return int(a.LTVersion - b.LTVersion) },
		},
		"ClosestToNextInstanceHour": {
			func(a, b *asgMember) int { return int(untilHour(a) - untilHour(b)) },
		},
		"OldestInstance": {
			func(a, b *asgMember) int { return a.LaunchTime.Compare(b.LaunchTime) },
		},
		"NewestInstance": {
			func(a, b *asgMember) int { return b.LaunchTime.Compare(a.LaunchTime) },
		},
	}
	byPolicy["OldestLaunchConfiguration"] = byPolicy["OldestLaunchTemplate"]
	byPolicy["Default"] = append(append([]cmp{}, byPolicy["OldestLaunchTemplate"]...), byPolicy["ClosestToNextInstanceHour"]...)
	var chain []cmp
	for _, p := range g.TerminationPolicies {
		chain = append(chain, byPolicy[p]...)
	}
	chain = append(chain, byPolicy["Default"]...)
	sort.SliceStable(cands, func(i, j int) bool {
		for _, c := range chain {
			if r := c(cands[i], cands[j]); r != 0 {
				return r < 0
			}
		}
		return false
	})
	return cands[0]
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// asgLaunch launches one instance for g from the launch template version the
// group names, resolved now. az "" picks the zone with the fewest members.
// A launch that cannot happen (template, image or type missing) is a failed
// activity; the group tries again asgLaunchRetry later.
func (s *Sim) asgLaunch(g *asgGroup, az, cause string, surge bool) error {
	fail := func(msg string) error {
		id := s.asgAddActivity(g, "Launching a new EC2 instance.  Status Reason: "+msg, cause, "")
		s.asgFinishActivity(g, id, "Failed", msg)
		s.rec.timeline(s.now, "asg.launchFailed", fmt.Sprintf("%s: %s", g.Name, msg))
		g.LaunchRetryAt = s.now.Add(asgLaunchRetry)
		s.asgKick(g, asgLaunchRetry)
		return apiErr("LaunchFailed", "%s", msg)
	}
	ltID, version := g.launchConfig()
	itype, spot := "", false
	if g.Mixed != nil {
		itype, spot = s.mixedNextLaunch(g)
		ltID, version = g.templateFor(itype)
	}
	lt := s.ec2.LaunchTemplates[ltID]
	if lt == nil {
		return fail(fmt.Sprintf("The specified launch template, with template ID %s, does not exist. Launching EC2 instance failed.", ltID))
	}
	num, ok := lt.resolve(version)
	if !ok {
		return fail(fmt.Sprintf("Could not find launch template version %s for template %s. Launching EC2 instance failed.", version, lt.ID))
	}
	v := lt.version(num)
	image, err := s.resolveImageAlias(v.ImageID)
	if err != nil {
		return fail(err.Error() + " Launching EC2 instance failed.")
	}
	if image == "" || s.ec2.Images[image] == nil {
		return fail(fmt.Sprintf("The image id '[%s]' does not exist. Launching EC2 instance failed.", image))
	}
	if itype == "" {
		itype = v.InstanceType
	}
	if _, ok := s.instanceType(itype); !ok {
		return fail(fmt.Sprintf("The instance type '%s' is not supported. Launching EC2 instance failed.", itype))
	}
	if msg := s.archMismatch(image, itype); msg != "" {
		return fail(msg + " Launching EC2 instance failed.")
	}
	if az == "" {
		az = g.launchAZ()
	}
	g.LaunchRetryAt = time.Time{}
	if s.asgLaunchFromWarmPool(g, az, cause) {
		return nil
	}
	tags := append([]kvTag(nil), v.InstanceTags...)
	for _, t := range g.Tags {
		if t.Propagate {
			tags = setTag(tags, kvTag{Key: t.Key, Value: t.Value})
		}
	}
	inst := s.ec2NewInstance(newInstance{
		AZ: az, LT: lt, Version: v, ASG: g.Name, Tags: tags,
		LaunchTime: s.now, Running: false, ImageID: image, InstanceType: itype, Spot: spot,
	})
	m := &asgMember{InstanceID: inst.ID, AZ: az, Lifecycle: "Pending", Health: "Healthy",
		Protected: g.NewInstancesProtectedFromScaleIn, ImageID: inst.ImageID, InstanceType: inst.InstanceType,
		LTVersion: num, LaunchTime: s.now, Seq: inst.Seq}
	g.Members[inst.ID] = m
	if spot {
		s.countSpotLaunch(g, inst.ID)
	}
	m.ActivityID = s.asgAddActivity(g, "Launching a new EC2 instance: "+inst.ID, cause, s.activityDetails(az))
	why := "desired capacity"
	if surge {
		why = "AZRebalance"
	}
	s.rec.timeline(s.now, "asg.launch", fmt.Sprintf("%s: launched %s in %s from %s (%s) version %d, image %s (%s)", g.Name, inst.ID, az, lt.ID, lt.Name, num, inst.ImageID, why))
	return nil
}

func (s *Sim) activityDetails(az string) string {
	return fmt.Sprintf(`{"Subnet ID":"%s","Availability Zone":"%s"}`, s.subnetFor(az), az)
}

// asgTerminateMember takes a member out of service and terminates it. why is
// a short reason for the timeline and the instance's termination cause. With
// a terminating lifecycle hook the member waits in Terminating:Wait first.
func (s *Sim) asgTerminateMember(g *asgGroup, m *asgMember, cause, why string) string {
	id := s.asgAddActivity(g, "Terminating EC2 instance: "+m.InstanceID, cause, s.activityDetails(m.AZ))
	m.ActivityID = id
	s.rec.timeline(s.now, "asg.terminate", fmt.Sprintf("%s: terminating %s in %s (%s)", g.Name, m.InstanceID, m.AZ, why))
	inst := s.ec2.Instances[m.InstanceID]
	if inst != nil && inst.TerminationCause == "" {
		inst.TerminationCause = "autoscaling " + g.Name + ": " + why
	}
	if g.hasHook(hookTerminating) && inst != nil && (inst.State == "pending" || inst.State == "running") {
		m.Lifecycle = "Terminating:Wait"
		if a := g.activity(id); a != nil {
			a.Status = "MidLifecycleAction"
		}
		s.after(g.terminatingHookWait(), "asg.hookDone", m.InstanceID)
		return id
	}
	s.asgShutdown(g, m)
	return id
}

// asgShutdown terminates a member's instance; the member leaves the group
// when the instance is terminated.
func (s *Sim) asgShutdown(g *asgGroup, m *asgMember) {
	if m.Lifecycle == "Terminating:Wait" {
		m.Lifecycle = "Terminating:Proceed"
		if a := g.activity(m.ActivityID); a != nil && a.Status == "MidLifecycleAction" {
			a.Status = "InProgress"
		}
	} else {
		m.Lifecycle = "Terminating"
	}
	inst := s.ec2.Instances[m.InstanceID]
	switch {
	case inst == nil || inst.State == "terminated":
		s.asgRemoveMember(g, m)
	case inst.State == "pending" || inst.State == "running":
		s.ec2Terminate(inst, inst.TerminationCause)
	}
}

func (s *Sim) asgRemoveMember(g *asgGroup, m *asgMember) {
	delete(g.Members, m.InstanceID)
	s.asgFinishActivity(g, m.ActivityID, "Successful", "")
	s.asgKick(g, asgReactDelay)
}

func (s *Sim) asgOnHookDone(id string) {
	g, m := s.memberGroup(id)
	if g == nil || m.Lifecycle != "Terminating:Wait" {
		return
	}
	s.asgShutdown(g, m)
}

// asgInstanceTerminated is EC2 telling the group that an instance finished
// terminating.
func (s *Sim) asgInstanceTerminated(inst *ec2Instance) {
	g, m := s.memberGroup(inst.ID)
	if g == nil {
		return
	}
	if !m.active() {
		s.asgRemoveMember(g, m)
	}
	// An active member was terminated behind the group's back: its health
	// check (asg.healthCheck) finds out.
}

// asgOnHealthCheck: a member whose instance is no longer running is marked
// Unhealthy and, unless ReplaceUnhealthy is suspended, taken out of service
// and replaced. With HealthCheck suspended nothing is noticed (until it is
// resumed).
func (s *Sim) asgOnHealthCheck(id string) {
	g, m := s.memberGroup(id)
	if g == nil || !m.active() {
		return
	}
	inst := s.ec2.Instances[id]
	if inst != nil && (inst.State == "pending" || inst.State == "running") {
		return
	}
	if g.suspended("HealthCheck") {
		return
	}
	if m.Health != "Unhealthy" {
		m.Health = "Unhealthy"
		s.rec.timeline(s.now, "asg.unhealthy", fmt.Sprintf("%s: %s is unhealthy (EC2 state %s)", g.Name, id, instState(inst)))
	}
	if g.suspended("ReplaceUnhealthy") {
		return
	}
	cause := fmt.Sprintf("At %s an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.", stamp(s.now))
	s.asgTerminateMember(g, m, cause, "replace unhealthy")
	s.asgKick(g, asgReactDelay)
}

func instState(inst *ec2Instance) string {
	if inst == nil {
		return "gone"
	}
	return inst.State
}

// asgRecheckHealth runs the health check of every member whose instance is
// not running (after HealthCheck or ReplaceUnhealthy is resumed).
func (s *Sim) asgRecheckHealth(g *asgGroup) {
	for _, m := range g.sortedMembers() {
		if !m.active() {
			continue
		}
		if inst := s.ec2.Instances[m.InstanceID]; inst == nil || (inst.State != "pending" && inst.State != "running") {
			s.after(asgReactDelay, "asg.healthCheck", m.InstanceID)
		}
	}
}
