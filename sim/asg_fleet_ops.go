package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// What else an Auto Scaling group carries that a rotation must respect:
// scaling policies (DescribePolicies), scheduled actions
// (DescribeScheduledActions; performed at their time, skipped while
// ScheduledActions is suspended — EC2 Auto Scaling user guide, "Suspend and
// resume processes"), warm pools (DescribeWarmPool: instances launched from
// the group's template and kept stopped; they are EC2 instances carrying the
// group's tag but not members; a scale-out starts them, whatever AMI they
// were launched with, before it launches new ones — the sandbox does not
// refill the pool) and lifecycle hooks with their own heartbeat
// timeout (an instance stays in Terminating:Wait until
// CompleteLifecycleAction or the timeout, then the default result applies).

func init() {
	register(SvcAutoScaling, "DescribePolicies", (*Sim).asgDescribePolicies)
	register(SvcAutoScaling, "DescribeScheduledActions", (*Sim).asgDescribeScheduledActions)
	register(SvcAutoScaling, "DescribeWarmPool", (*Sim).asgDescribeWarmPool)
	registerEvent("asg.scheduledAction", (*Sim).asgOnScheduledAction)
}

// asgPolicy is a scaling policy.
type asgPolicy struct {
	Name        string  `json:"name"`
	ARN         string  `json:"arn"`
	Type        string  `json:"type"`
	Metric      string  `json:"metric,omitempty"`
	TargetValue float64 `json:"targetValue,omitempty"`
}

// asgScheduled is a scheduled action.
type asgScheduled struct {
	Name       string    `json:"name"`
	ARN        string    `json:"arn"`
	At         time.Time `json:"at"`
	Recurrence string    `json:"recurrence,omitempty"`
	Min        *int      `json:"min,omitempty"`
	Max        *int      `json:"max,omitempty"`
	Desired    *int      `json:"desired,omitempty"`
	Done       bool      `json:"done,omitempty"`
}

// asgWarmPool is a group's warm pool.
type asgWarmPool struct {
	State          string   `json:"state"` // Stopped, Running, Hibernated
	MinSize        int      `json:"minSize"`
	ReuseOnScaleIn bool     `json:"reuseOnScaleIn,omitempty"`
	Instances      []string `json:"instances,omitempty"` // EC2 instance ids
}

// terminatingHookWait is how long a terminating member waits in
// Terminating:Wait: the longest heartbeat of the group's terminating hooks
// (asgHookDelay for hooks the world named without one).
func (g *asgGroup) terminatingHookWait() time.Duration {
	wait := time.Duration(0)
	for _, h := range g.Hooks {
		if h.Transition != hookTerminating {
			continue
		}
		d := h.Heartbeat
		if d <= 0 {
			d = asgHookDelay
		}
		wait = max(wait, d)
	}
	return wait
}

// loadGroupFleetOps loads a group's hooks with timeouts, policies,
// scheduled actions and warm pool from its spec.
func (s *Sim) loadGroupFleetOps(spec ASGSpec, g *asgGroup, lt *ec2LaunchTemplate, version string) error {
	for _, h := range spec.LifecycleHookSpecs {
		tr := h.Transition
		if tr == "" {
			tr = hookTerminating
		}
		if tr != hookTerminating && tr != hookLaunching {
			return fmt.Errorf("lifecycle hook %s: transition %q: want %s or %s", h.Name, tr, hookTerminating, hookLaunching)
		}
		hb := h.HeartbeatTimeout.D()
		if hb <= 0 {
			hb = time.Hour
		}
		def := h.DefaultResult
		if def == "" {
			def = "ABANDON"
		}
		if def != "CONTINUE" && def != "ABANDON" {
			return fmt.Errorf("lifecycle hook %s: defaultResult %q: want CONTINUE or ABANDON", h.Name, def)
		}
		g.Hooks = append(g.Hooks, asgHook{Name: h.Name, Transition: tr, Heartbeat: hb, DefaultResult: def})
	}
	for _, p := range spec.ScalingPolicies {
		typ := p.Type
		if typ == "" {
			typ = "TargetTrackingScaling"
		}
		metric := p.Metric
		if metric == "" && typ == "TargetTrackingScaling" {
			metric = "ASGAverageCPUUtilization"
		}
		g.Policies = append(g.Policies, asgPolicy{Name: p.Name, Type: typ, Metric: metric, TargetValue: p.TargetValue,
			ARN: s.arn("autoscaling", "scalingPolicy:"+s.newID("uuid")+":autoScalingGroupName/"+g.Name+":policyName/"+p.Name)})
	}
	for _, a := range spec.ScheduledActions {
		sa := asgScheduled{Name: a.Name, At: s.now.Add(a.At.D()), Recurrence: a.Recurrence, Min: a.Min, Max: a.Max, Desired: a.Desired,
			ARN: s.arn("autoscaling", "scheduledUpdateGroupAction:"+s.newID("uuid")+":autoScalingGroupName/"+g.Name+":scheduledActionName/"+a.Name)}
		g.Scheduled = append(g.Scheduled, sa)
		s.schedule(sa.At, "asg.scheduledAction", g.Name+"/"+a.Name)
	}
	if wp := spec.WarmPool; wp != nil {
		state := wp.State
		if state == "" {
			state = "Stopped"
		}
		g.WarmPool = &asgWarmPool{State: state, MinSize: wp.MinSize, ReuseOnScaleIn: wp.ReuseOnScaleIn}
		ver := wp.LaunchTemplateVersion
		if ver == "" {
			ver = version
		}
		num, ok := lt.resolve(ver)
		if !ok {
			return fmt.Errorf("warm pool: launch template %s has no version %q", lt.Name, ver)
		}
		for k := 0; k < wp.Count; k++ {
			az := g.AZs[k%len(g.AZs)]
			inst := s.ec2NewInstance(newInstance{AZ: az, LT: lt, Version: lt.version(num), ImageID: wp.AMI, ASG: g.Name,
				LaunchTime: s.now.Add(-24 * time.Hour), Running: true})
			if state != "Running" {
				inst.State = "stopped"
			}
			g.WarmPool.Instances = append(g.WarmPool.Instances, inst.ID)
		}
	}
	return nil
}

func (s *Sim) asgDescribePolicies(in *autoscaling.DescribePoliciesInput) (*autoscaling.DescribePoliciesOutput, error) {
	groups, err := s.groupsNamed(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	out := &autoscaling.DescribePoliciesOutput{ScalingPolicies: []astypes.ScalingPolicy{}}
	for _, g := range groups {
		for _, p := range g.Policies {
			if len(in.PolicyNames) > 0 && !contains(in.PolicyNames, p.Name) || len(in.PolicyTypes) > 0 && !contains(in.PolicyTypes, p.Type) {
				continue
			}
			sp := astypes.ScalingPolicy{AutoScalingGroupName: aws.String(g.Name), PolicyName: aws.String(p.Name), PolicyARN: aws.String(p.ARN),
				PolicyType: aws.String(p.Type), Enabled: aws.Bool(true), Alarms: []astypes.Alarm{}, StepAdjustments: []astypes.StepAdjustment{}}
			if p.Type == "TargetTrackingScaling" {
				sp.TargetTrackingConfiguration = &astypes.TargetTrackingConfiguration{TargetValue: aws.Float64(p.TargetValue), DisableScaleIn: aws.Bool(false),
					PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{PredefinedMetricType: astypes.MetricType(p.Metric)}}
				for _, hl := range []string{"AlarmHigh", "AlarmLow"} {
					name := "TargetTracking-" + g.Name + "-" + hl + "-" + fnvHex(p.ARN+hl, 8)
					sp.Alarms = append(sp.Alarms, astypes.Alarm{AlarmName: aws.String(name), AlarmARN: aws.String(s.arn("cloudwatch", "alarm:"+name))})
				}
			}
			out.ScalingPolicies = append(out.ScalingPolicies, sp)
		}
	}
	return out, nil
}

func (s *Sim) asgDescribeScheduledActions(in *autoscaling.DescribeScheduledActionsInput) (*autoscaling.DescribeScheduledActionsOutput, error) {
	groups, err := s.groupsNamed(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	out := &autoscaling.DescribeScheduledActionsOutput{ScheduledUpdateGroupActions: []astypes.ScheduledUpdateGroupAction{}}
	for _, g := range groups {
		for _, a := range g.Scheduled {
			if a.Done && a.Recurrence == "" || len(in.ScheduledActionNames) > 0 && !contains(in.ScheduledActionNames, a.Name) {
				continue // a one-off action is gone once performed
			}
			sa := astypes.ScheduledUpdateGroupAction{AutoScalingGroupName: aws.String(g.Name), ScheduledActionName: aws.String(a.Name),
				ScheduledActionARN: aws.String(a.ARN), StartTime: aws.Time(a.At), Time: aws.Time(a.At)}
			if a.Recurrence != "" {
				sa.Recurrence = aws.String(a.Recurrence)
			}
			if a.Min != nil {
				sa.MinSize = aws.Int32(int32(*a.Min))
			}
			if a.Max != nil {
				sa.MaxSize = aws.Int32(int32(*a.Max))
			}
			if a.Desired != nil {
				sa.DesiredCapacity = aws.Int32(int32(*a.Desired))
			}
			out.ScheduledUpdateGroupActions = append(out.ScheduledUpdateGroupActions, sa)
		}
	}
	return out, nil
}

func (s *Sim) asgDescribeWarmPool(in *autoscaling.DescribeWarmPoolInput) (*autoscaling.DescribeWarmPoolOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	out := &autoscaling.DescribeWarmPoolOutput{Instances: []astypes.Instance{}}
	wp := g.WarmPool
	if wp == nil {
		return out, nil
	}
	out.WarmPoolConfiguration = &astypes.WarmPoolConfiguration{MinSize: aws.Int32(int32(wp.MinSize)), PoolState: astypes.WarmPoolState(wp.State),
		InstanceReusePolicy: &astypes.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(wp.ReuseOnScaleIn)}}
	ids := append([]string(nil), wp.Instances...)
	sort.Strings(ids)
	for _, id := range ids {
		inst := s.ec2.Instances[id]
		if inst == nil || inst.State == "terminated" || inst.State == "shutting-down" {
			continue
		}
		lt := s.ec2.LaunchTemplates[inst.LaunchTemplateID]
		spec := &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(inst.LaunchTemplateID), Version: aws.String(fmt.Sprint(inst.LaunchTemplateVersion))}
		if lt != nil {
			spec.LaunchTemplateName = aws.String(lt.Name)
		}
		out.Instances = append(out.Instances, astypes.Instance{InstanceId: aws.String(id), AvailabilityZone: aws.String(inst.AZ),
			InstanceType: aws.String(inst.InstanceType), LifecycleState: astypes.LifecycleState("Warmed:" + wp.State), HealthStatus: aws.String("Healthy"),
			ProtectedFromScaleIn: aws.Bool(false), LaunchTemplate: spec})
	}
	return out, nil
}

// asgOnScheduledAction performs a scheduled action (key "group/action").
func (s *Sim) asgOnScheduledAction(key string) {
	name, action, _ := strings.Cut(key, "/")
	g := s.asg.Groups[name]
	if g == nil {
		return
	}
	for i := range g.Scheduled {
		a := &g.Scheduled[i]
		if a.Name != action || a.Done {
			continue
		}
		a.Done = true
		if g.suspended("ScheduledActions") {
			s.rec.timeline(s.now, "asg.scheduledAction", fmt.Sprintf("%s: scheduled action %s skipped (ScheduledActions suspended)", g.Name, a.Name))
			return
		}
		if a.Min != nil {
			g.Min = *a.Min
		}
		if a.Max != nil {
			g.Max = *a.Max
		}
		desired := g.Desired
		if a.Desired != nil {
			desired = *a.Desired
		}
		desired = max(g.Min, min(g.Max, desired))
		s.rec.timeline(s.now, "asg.scheduledAction", fmt.Sprintf("%s: scheduled action %s sets desired %d (min %d, max %d)", g.Name, a.Name, desired, g.Min, g.Max))
		s.setDesired(g, desired, fmt.Sprintf("At %s a scheduled action update of AutoScalingGroup constraints to min: %d, max: %d, desired: %d changing the desired capacity from %d to %d.",
			stamp(s.now), g.Min, g.Max, desired, g.Desired, desired))
	}
}

// PerformScheduledAction makes a group's scheduled action fall due now, as
// if its time had come (skipped, as Auto Scaling does, while the group has
// ScheduledActions suspended). Tests use it to place the action at a chosen
// point of a run.
func (s *Sim) PerformScheduledAction(group, action string) error {
	s.Lock()
	defer s.Unlock()
	g := s.asg.Groups[group]
	if g == nil {
		return fmt.Errorf("no auto scaling group %s", group)
	}
	for i := range g.Scheduled {
		if g.Scheduled[i].Name == action {
			g.Scheduled[i].Done = false
			s.asgOnScheduledAction(group + "/" + action)
			return nil
		}
	}
	return fmt.Errorf("group %s has no scheduled action %s", group, action)
}

// asgLaunchFromWarmPool brings a pooled instance into service (one in az if
// there is one): it starts, boots and registers like a new one, on the AMI
// and template version it was launched with (EC2 Auto Scaling user guide,
// "Warm pools": instances leave the pool on scale-out before new ones are
// launched).
func (s *Sim) asgLaunchFromWarmPool(g *asgGroup, az, cause string) bool {
	wp := g.WarmPool
	if wp == nil || len(wp.Instances) == 0 {
		return false
	}
	pick := -1
	for i, id := range wp.Instances {
		inst := s.ec2.Instances[id]
		if inst == nil || inst.State == "terminated" || inst.State == "shutting-down" {
			continue
		}
		if pick < 0 || inst.AZ == az && s.ec2.Instances[wp.Instances[pick]].AZ != az {
			pick = i
		}
	}
	if pick < 0 {
		return false
	}
	inst := s.ec2.Instances[wp.Instances[pick]]
	wp.Instances = append(wp.Instances[:pick:pick], wp.Instances[pick+1:]...)
	m := &asgMember{InstanceID: inst.ID, AZ: inst.AZ, Lifecycle: "Pending", Health: "Healthy",
		Protected: g.NewInstancesProtectedFromScaleIn, ImageID: inst.ImageID, InstanceType: inst.InstanceType,
		LTVersion: inst.LaunchTemplateVersion, LaunchTime: inst.LaunchTime, Seq: inst.Seq}
	g.Members[inst.ID] = m
	m.ActivityID = s.asgAddActivity(g, "Launching a new EC2 instance from warm pool: "+inst.ID, cause, s.activityDetails(inst.AZ))
	if inst.State == "stopped" {
		inst.State = "pending"
		boot := s.Timings.InstanceBoot.D()
		s.after(boot/3, "ec2.instanceRunning", inst.ID)
		s.after(boot, "ec2.instanceBooted", inst.ID)
	} else {
		s.after(time.Second, "ec2.instanceBooted", inst.ID)
	}
	s.rec.timeline(s.now, "asg.launch", fmt.Sprintf("%s: %s from the warm pool in %s, image %s (desired capacity)", g.Name, inst.ID, inst.AZ, inst.ImageID))
	return true
}
