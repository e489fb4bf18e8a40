package sim

// World spec types of the fleet shapes a rotation must respect: lifecycle
// hooks with their own timeouts, scaling policies, scheduled actions and warm
// pools (issue "Real ECS" part 2, item 5). ASGSpec refers to them.

// LifecycleHookSpec is a lifecycle hook with its timeout and default result.
type LifecycleHookSpec struct {
	Name string `json:"name"`
	// Transition: autoscaling:EC2_INSTANCE_TERMINATING (default) or _LAUNCHING.
	Transition string `json:"transition,omitempty"`
	// HeartbeatTimeout: how long an instance waits in Terminating:Wait
	// unless CompleteLifecycleAction ends the wait first (default 3600s, as
	// in PutLifecycleHook).
	HeartbeatTimeout Duration `json:"heartbeatTimeout,omitempty"`
	// DefaultResult at the timeout: CONTINUE or ABANDON (default ABANDON,
	// as in PutLifecycleHook; for a terminating hook both terminate).
	DefaultResult string `json:"defaultResult,omitempty"`
}

// ScalingPolicySpec is a scaling policy (DescribePolicies reports it).
type ScalingPolicySpec struct {
	Name string `json:"name"`
	// Type: TargetTrackingScaling (default), StepScaling or SimpleScaling.
	Type string `json:"type,omitempty"`
	// Metric of a target tracking policy (default ASGAverageCPUUtilization).
	Metric      string  `json:"metric,omitempty"`
	TargetValue float64 `json:"targetValue,omitempty"`
}

// ScheduledActionSpec is a scheduled action. The sandbox performs it At
// after the world starts (unless ScheduledActions is suspended then, when
// Auto Scaling skips it), setting the sizes it names.
type ScheduledActionSpec struct {
	Name       string   `json:"name"`
	At         Duration `json:"at"`
	Recurrence string   `json:"recurrence,omitempty"` // reported only
	Min        *int     `json:"min,omitempty"`
	Max        *int     `json:"max,omitempty"`
	Desired    *int     `json:"desired,omitempty"`
}

// WarmPoolSpec is a warm pool of stopped (or running, hibernated)
// instances launched from a version of the group's launch template.
type WarmPoolSpec struct {
	// State: Stopped (default), Running or Hibernated.
	State   string `json:"state,omitempty"`
	MinSize int    `json:"minSize,omitempty"`
	// Instances in the pool now.
	Count int `json:"count"`
	// AMI and LaunchTemplateVersion of the pooled instances (default: the group's).
	AMI                   string `json:"ami,omitempty"`
	LaunchTemplateVersion string `json:"launchTemplateVersion,omitempty"`
	ReuseOnScaleIn        bool   `json:"reuseOnScaleIn,omitempty"`
}
