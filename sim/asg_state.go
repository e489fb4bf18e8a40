package sim

import (
	"sort"
	"time"
)

// asgState is the EC2 Auto Scaling part of the account (s.asg). Instances
// are EC2's (s.ec2.Instances); a group names its members.
type asgState struct {
	Groups map[string]*asgGroup `json:"groups"` // by name
}

func newASGState() *asgState { return &asgState{Groups: map[string]*asgGroup{}} }

func init() {
	// Restores the empty maps JSON leaves out.
	registerAfterLoad(func(s *Sim) {
		if s.asg.Groups == nil {
			s.asg.Groups = map[string]*asgGroup{}
		}
		for _, g := range s.asg.Groups {
			if g.Suspended == nil {
				g.Suspended = map[string]string{}
			}
			if g.Members == nil {
				g.Members = map[string]*asgMember{}
			}
		}
	})
}

// asgGroup is an Auto Scaling group. Its state lives in s.asg.Groups.
type asgGroup struct {
	Name        string    `json:"name"`
	ARN         string    `json:"arn"`
	CreatedTime time.Time `json:"createdTime"`
	// LaunchTemplateID and Version ("$Latest", "$Default" or a number) are
	// what the group launches from; the version is resolved at each launch.
	LaunchTemplateID string   `json:"launchTemplateId"`
	Version          string   `json:"version"`
	Min              int      `json:"min"`
	Max              int      `json:"max"`
	Desired          int      `json:"desired"`
	AZs              []string `json:"azs"`
	Tags             []kvTag  `json:"tags,omitempty"`
	// Suspended maps a suspended process to its suspension reason.
	Suspended                        map[string]string `json:"suspended,omitempty"`
	NewInstancesProtectedFromScaleIn bool              `json:"newInstancesProtectedFromScaleIn,omitempty"`
	HealthCheckType                  string            `json:"healthCheckType"`
	HealthCheckGracePeriod           int32             `json:"healthCheckGracePeriod"`
	DefaultCooldown                  int32             `json:"defaultCooldown"`
	TerminationPolicies              []string          `json:"terminationPolicies,omitempty"`
	MaxInstanceLifetime              int32             `json:"maxInstanceLifetime,omitempty"`
	CapacityRebalance                bool              `json:"capacityRebalance,omitempty"`
	// Members are the instances in the group (Pending … Terminating), by ID.
	Members map[string]*asgMember `json:"members"`
	Hooks   []asgHook             `json:"hooks,omitempty"`
	// Activities, newest last, at most asgMaxActivities.
	Activities []asgActivity        `json:"activities,omitempty"`
	Refreshes  []asgInstanceRefresh `json:"refreshes,omitempty"`

	// RebalanceSurge counts instances launched above desired to rebalance
	// zones; the group terminates as many once they are in service.
	RebalanceSurge int `json:"rebalanceSurge,omitempty"`
	// RebalanceDueAt is when an imbalance seen earlier will be acted on.
	RebalanceDueAt time.Time `json:"rebalanceDueAt,omitempty"`
	// ReconcileAt is the earliest queued reconcile (zero: none queued).
	ReconcileAt time.Time `json:"reconcileAt,omitempty"`
	// LaunchRetryAt is set while launches fail: the group tries again then,
	// not on every change.
	LaunchRetryAt time.Time `json:"launchRetryAt,omitempty"`
	// DesiredCause explains the last change of desired capacity; the causes
	// of the activities it leads to start with it, as AWS's do.
	DesiredCause string `json:"desiredCause,omitempty"`
	// BlockedScaleIn is set while every candidate for scale-in is protected.
	BlockedScaleIn bool `json:"blockedScaleIn,omitempty"`
	// Mixed is the group's mixed instances policy (nil: it launches from
	// LaunchTemplateID alone); see asg_mixed.go.
	Mixed *asgMixed `json:"mixed,omitempty"`
	// SpotLaunches counts the Spot instances launched since the world
	// loaded; the InterruptLaunch-th is interrupted InterruptAfter after it
	// boots (0: none).
	SpotLaunches    int           `json:"spotLaunches,omitempty"`
	InterruptLaunch int           `json:"interruptLaunch,omitempty"`
	InterruptAfter  time.Duration `json:"interruptAfter,omitempty"`
	// Policies, Scheduled and WarmPool: see asg_fleet_ops.go.
	Policies  []asgPolicy    `json:"policies,omitempty"`
	Scheduled []asgScheduled `json:"scheduled,omitempty"`
	WarmPool  *asgWarmPool   `json:"warmPool,omitempty"`
	// ManagedLowSince is when ECS managed scaling first wanted fewer
	// instances than desired (zero: it does not); see ecs_managed_scaling.go.
	ManagedLowSince time.Time `json:"managedLowSince,omitempty"`
}

// asgMember is an instance as its group sees it.
type asgMember struct {
	InstanceID   string `json:"instanceId"`
	AZ           string `json:"az"`
	Lifecycle    string `json:"lifecycle"` // Pending, InService, Terminating, Terminating:Wait, Terminating:Proceed
	Health       string `json:"health"`    // Healthy, Unhealthy
	Protected    bool   `json:"protected,omitempty"`
	ImageID      string `json:"imageId"`
	InstanceType string `json:"instanceType"`
	// LTVersion is the launch template version number that launched it.
	LTVersion  int64     `json:"ltVersion"`
	LaunchTime time.Time `json:"launchTime"`
	Seq        uint64    `json:"seq"`
	// ActivityID is the activity that is launching or terminating it.
	ActivityID string `json:"activityId,omitempty"`
}

// active reports whether a member counts toward the group's capacity.
func (m *asgMember) active() bool { return m.Lifecycle == "Pending" || m.Lifecycle == "InService" }

// asgHook is a lifecycle hook.
type asgHook struct {
	Name       string `json:"name"`
	Transition string `json:"transition"` // autoscaling:EC2_INSTANCE_TERMINATING or _LAUNCHING
	// Heartbeat and DefaultResult of a hook the world gave them (zero:
	// the sandbox completes the hook itself after asgHookDelay).
	Heartbeat     time.Duration `json:"heartbeat,omitempty"`
	DefaultResult string        `json:"defaultResult,omitempty"`
}

// asgActivity is a scaling activity.
type asgActivity struct {
	ID          string    `json:"id"`
	Description string    `json:"description"`
	Cause       string    `json:"cause"`
	Details     string    `json:"details,omitempty"`
	StartTime   time.Time `json:"startTime"`
	EndTime     time.Time `json:"endTime,omitempty"`
	Status      string    `json:"status"` // InProgress, MidLifecycleAction, Successful, Failed, Cancelled
	Message     string    `json:"message,omitempty"`
	Progress    int32     `json:"progress"`
}

// asgInstanceRefresh is an instance refresh.
type asgInstanceRefresh struct {
	ID     string    `json:"id"`
	Status string    `json:"status"` // Pending, InProgress, Successful, Failed, Cancelling, Cancelled
	Reason string    `json:"reason,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end,omitempty"`
	// MinHealthyPercentage bounds how many instances are replaced at once.
	MinHealthyPercentage int32 `json:"minHealthyPercentage"`
	// InstanceWarmup in seconds.
	InstanceWarmup int32 `json:"instanceWarmup"`
	// ToUpdate is the number of instances that needed replacing at start.
	ToUpdate int32 `json:"toUpdate"`
	// TargetLT and TargetVersion name the desired configuration, when the
	// refresh carries one (otherwise the group's own).
	TargetLT      string `json:"targetLt,omitempty"`
	TargetVersion string `json:"targetVersion,omitempty"`
	// Replaced counts instances the refresh terminated.
	Replaced int32 `json:"replaced"`
	// Remaining are the instances still to replace.
	Remaining    []string `json:"remaining,omitempty"`
	SkipMatching bool     `json:"skipMatching,omitempty"`
}

// activeRefresh returns the group's pending or running instance refresh.
func (g *asgGroup) activeRefresh() *asgInstanceRefresh {
	for i := len(g.Refreshes) - 1; i >= 0; i-- {
		switch g.Refreshes[i].Status {
		case "Pending", "InProgress", "Cancelling":
			return &g.Refreshes[i]
		}
	}
	return nil
}

// launchConfig is the launch template and version the group launches from
// now: an instance refresh's desired configuration while one runs.
func (g *asgGroup) launchConfig() (ltID, version string) {
	if r := g.activeRefresh(); r != nil && r.TargetLT != "" {
		return r.TargetLT, r.TargetVersion
	}
	return g.LaunchTemplateID, g.Version
}

// Process names SuspendProcesses accepts.
var asgProcesses = []string{"Launch", "Terminate", "AddToLoadBalancer", "AlarmNotification",
	"AZRebalance", "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"}

const asgMaxActivities = 200

// suspended reports whether process p is suspended.
func (g *asgGroup) suspended(p string) bool {
	_, ok := g.Suspended[p]
	return ok
}

// sortedMembers lists the members by instance ID.
func (g *asgGroup) sortedMembers() []*asgMember {
	out := make([]*asgMember, 0, len(g.Members))
	for _, m := range g.Members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InstanceID < out[j].InstanceID })
	return out
}

// capacity counts the members in Pending or InService.
func (g *asgGroup) capacity() int {
	n := 0
	for _, m := range g.Members {
		if m.active() {
			n++
		}
	}
	return n
}

// hasHook reports whether the group has a hook for transition.
func (g *asgGroup) hasHook(transition string) bool {
	for _, h := range g.Hooks {
		if h.Transition == transition {
			return true
		}
	}
	return false
}

// activity returns the activity with id, or nil.
func (g *asgGroup) activity(id string) *asgActivity {
	for i := len(g.Activities) - 1; i >= 0; i-- {
		if g.Activities[i].ID == id {
			return &g.Activities[i]
		}
	}
	return nil
}

// addActivity appends an activity and returns its ID.
func (s *Sim) asgAddActivity(g *asgGroup, description, cause, details string) string {
	a := asgActivity{ID: s.newID("uuid"), Description: description, Cause: cause, Details: details,
		StartTime: s.now, Status: "InProgress"}
	g.Activities = append(g.Activities, a)
	if len(g.Activities) > asgMaxActivities {
		g.Activities = append([]asgActivity(nil), g.Activities[len(g.Activities)-asgMaxActivities:]...)
	}
	return a.ID
}

// finishActivity ends an activity with status (and a message).
func (s *Sim) asgFinishActivity(g *asgGroup, id, status, message string) {
	if a := g.activity(id); a != nil && (a.Status == "InProgress" || a.Status == "MidLifecycleAction") {
		a.Status, a.Message, a.EndTime, a.Progress = status, message, s.now, 100
	}
}

// memberGroup returns the group an instance belongs to and its member record.
func (s *Sim) memberGroup(instanceID string) (*asgGroup, *asgMember) {
	in := s.ec2.Instances[instanceID]
	if in == nil || in.ASG == "" {
		return nil, nil
	}
	g := s.asg.Groups[in.ASG]
	if g == nil {
		return nil, nil
	}
	m := g.Members[instanceID]
	if m == nil {
		return nil, nil
	}
	return g, m
}
