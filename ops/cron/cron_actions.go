package cron

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"ecsctl/ops"
)

// Find returns the job named name among the cluster's jobs: a schedule or
// rule name, or GROUP/NAME for a schedule outside the default group.
func (r *Reader) Find(ctx context.Context, cluster, name string) (*Job, error) {
	if strings.TrimSpace(name) == "" {
		return nil, ops.Inputf("no schedule named: give the name of a schedule or rule ('ecsctl cron list -c %s' lists them)", cluster)
	}
	jobs, err := r.List(ctx, cluster)
	if err != nil {
		return nil, err
	}
	var hits []*Job
	for _, j := range jobs {
		if j.Name == name || (j.Kind == KindSchedule && j.Group+"/"+j.Name == name) {
			hits = append(hits, j)
		}
	}
	switch len(hits) {
	case 0:
		return nil, ops.Inputf("no schedule or rule named %q runs tasks in cluster %s: check the name ('ecsctl cron list -c %s' lists them)", name, cluster, cluster)
	case 1:
		return hits[0], nil
	}
	var ids []string
	for _, j := range hits {
		ids = append(ids, j.ID())
	}
	sort.Strings(ids)
	return nil, ops.Inputf("%q names %d jobs in cluster %s (%s): give GROUP/NAME for a schedule, or rename one", name, len(hits), cluster, strings.Join(ids, ", "))
}

// ID names the job unambiguously: "schedule GROUP/NAME" or "rule NAME".
func (j *Job) ID() string {
	if j.Kind == KindSchedule {
		return "schedule " + j.Group + "/" + j.Name
	}
	if j.TargetID != "" {
		return "rule " + j.Name + " (target " + j.TargetID + ")"
	}
	return "rule " + j.Name
}

// Change is what SetState did or, with DryRun, would do.
type Change struct {
	Job     string `json:"job"`
	From    string `json:"from"`
	To      string `json:"to"`
	Call    string `json:"call,omitempty"` // the AWS call, empty when nothing changes
	DryRun  bool   `json:"dryRun"`
	Changed bool   `json:"changed"`
	// Outcome is paused, resumed, unchanged (already in that state) or,
	// with DryRun, would pause / would resume.
	Outcome string `json:"outcome"`
}

// Writer changes jobs.
type Writer struct {
	Scheduler SchedulerAPI
	Events    EventsAPI
}

// SetState pauses (enabled false) or resumes a job. A schedule is updated
// with its whole current definition and the new state, because
// UpdateSchedule replaces every member it is not given with its default
// (Scheduler API Reference, UpdateSchedule). A rule is disabled or enabled
// as a whole, so a rule that also has other targets is refused rather than
// paused for them too.
func (w *Writer) SetState(ctx context.Context, j *Job, enabled, dryRun bool) (Change, error) {
	to := "DISABLED"
	if enabled {
		to = "ENABLED"
	}
	verb := "pause"
	if enabled {
		verb = "resume"
	}
	ch := Change{Job: j.ID(), From: j.State, To: to, DryRun: dryRun, Outcome: "unchanged"}
	if j.State == to {
		return ch, nil
	}
	if dryRun {
		ch.Outcome = "would " + verb
	}
	if j.Kind == KindRule {
		if j.otherTargets > 0 {
			return ch, ops.Inputf("rule %s has %d other targets besides the ECS task in this cluster: pausing it would stop them too; use 'aws events disable-rule --name %s' if that is intended", j.Name, j.otherTargets, j.Name)
		}
		ch.Call = "events:EnableRule"
		if !enabled {
			ch.Call = "events:DisableRule"
		}
		if dryRun {
			return ch, nil
		}
		var err error
		if enabled {
			_, err = w.Events.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String(j.Name)})
		} else {
			_, err = w.Events.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String(j.Name)})
		}
		if err != nil {
			return ch, fmt.Errorf("%s rule %s: %w", strings.ToLower(strings.TrimPrefix(ch.Call, "events:")), j.Name, err)
		}
		ch.Changed, ch.Outcome = true, verb+"d"
		return ch, nil
	}
	ch.Call = "scheduler:UpdateSchedule"
	if dryRun {
		return ch, nil
	}
	in := UpdateInput(j.schedule)
	in.State = schedtypes.ScheduleState(to)
	if _, err := w.Scheduler.UpdateSchedule(ctx, in); err != nil {
		return ch, fmt.Errorf("update schedule %s/%s: %w", j.Group, j.Name, err)
	}
	ch.Changed, ch.Outcome = true, verb+"d"
	return ch, nil
}

// UpdateInput is an UpdateSchedule input that keeps everything of g.
func UpdateInput(g *scheduler.GetScheduleOutput) *scheduler.UpdateScheduleInput {
	return &scheduler.UpdateScheduleInput{
		Name: g.Name, GroupName: g.GroupName, ScheduleExpression: g.ScheduleExpression,
		ScheduleExpressionTimezone: g.ScheduleExpressionTimezone, FlexibleTimeWindow: g.FlexibleTimeWindow,
		Target: g.Target, Description: g.Description, StartDate: g.StartDate, EndDate: g.EndDate,
		KmsKeyArn: g.KmsKeyArn, ActionAfterCompletion: g.ActionAfterCompletion, State: g.State,
	}
}

// RunTaskInput is the RunTask call the job's next firing would make in the
// cluster: the target's task definition, count, launch type or capacity
// provider strategy, network, placement, group, tags, and its Input read as
// task overrides (EventBridge passes an ECS target's Input as the task's
// overrides). Input the schedule or rule would fill in at firing time
// (Scheduler's <aws.scheduler.*> context attributes, a rule's InputPath or
// InputTransformer over the event) cannot be reproduced and is refused.
func RunTaskInput(j *Job) (*ecs.RunTaskInput, error) {
	var (
		in    *ecs.RunTaskInput
		input string
		err   error
	)
	switch {
	case j.schedule != nil && j.schedule.Target != nil && j.schedule.Target.EcsParameters != nil:
		in, input, err = scheduleRunTask(j)
	case j.target != nil && j.target.EcsParameters != nil:
		in, input, err = ruleRunTask(j)
	default:
		return nil, ops.Inputf("%s has no ECS target to run", j.ID())
	}
	if err != nil {
		return nil, err
	}
	if in.Count == nil {
		in.Count = aws.Int32(1)
	}
	if strings.TrimSpace(input) != "" {
		var ov ecstypes.TaskOverride
		if err := json.Unmarshal([]byte(input), &ov); err != nil {
			return nil, ops.Inputf("%s has an Input that is not ECS task overrides JSON (%v): run the task with 'aws ecs run-task' and your own overrides", j.ID(), err)
		}
		in.Overrides = &ov
	}
	return in, nil
}

// scheduleRunTask is RunTaskInput for a Scheduler schedule's ECS target,
// with the target's Input (task overrides JSON).
func scheduleRunTask(j *Job) (*ecs.RunTaskInput, string, error) {
	in := &ecs.RunTaskInput{}
	t, p := j.schedule.Target, j.schedule.Target.EcsParameters
	input := aws.ToString(t.Input)
	if strings.Contains(input, "<aws.scheduler.") {
		return nil, "", ops.Inputf("schedule %s/%s fills its input with <aws.scheduler.*> values at firing time, which a run now cannot reproduce: run the task with 'aws ecs run-task' and your own overrides", j.Group, j.Name)
	}
	in.Cluster, in.TaskDefinition, in.Count, in.Group = t.Arn, p.TaskDefinitionArn, p.TaskCount, p.Group
	in.LaunchType, in.PlatformVersion = ecstypes.LaunchType(p.LaunchType), p.PlatformVersion
	in.EnableECSManagedTags, in.EnableExecuteCommand = aws.ToBool(p.EnableECSManagedTags), aws.ToBool(p.EnableExecuteCommand)
	in.PropagateTags = ecstypes.PropagateTags(p.PropagateTags)
	for _, c := range p.CapacityProviderStrategy {
		in.CapacityProviderStrategy = append(in.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{CapacityProvider: c.CapacityProvider, Base: c.Base, Weight: c.Weight})
	}
	if n := p.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		a := n.AwsvpcConfiguration
		in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: a.Subnets, SecurityGroups: a.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIp(a.AssignPublicIp)}}
	}
	for _, c := range p.PlacementConstraints {
		in.PlacementConstraints = append(in.PlacementConstraints, ecstypes.PlacementConstraint{Type: ecstypes.PlacementConstraintType(c.Type), Expression: c.Expression})
	}
	for _, s := range p.PlacementStrategy {
		in.PlacementStrategy = append(in.PlacementStrategy, ecstypes.PlacementStrategy{Type: ecstypes.PlacementStrategyType(s.Type), Field: s.Field})
	}
	var keys []string
	tags := map[string]string{}
	for _, m := range p.Tags {
		for k, v := range m {
			keys = append(keys, k)
			tags[k] = v
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Tags = append(in.Tags, ecstypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return in, input, nil
}

// ruleRunTask is RunTaskInput for an EventBridge rule's ECS target, with the
// target's Input (task overrides JSON).
func ruleRunTask(j *Job) (*ecs.RunTaskInput, string, error) {
	in := &ecs.RunTaskInput{}
	t, p := j.target, j.target.EcsParameters
	if t.InputPath != nil || t.InputTransformer != nil {
		return nil, "", ops.Inputf("rule %s builds its task's input from the triggering event (InputPath/InputTransformer), which a run now cannot reproduce: run the task with 'aws ecs run-task' and your own overrides", j.Name)
	}
	input := aws.ToString(t.Input)
	in.Cluster, in.TaskDefinition, in.Count, in.Group = t.Arn, p.TaskDefinitionArn, p.TaskCount, p.Group
	in.LaunchType, in.PlatformVersion = ecstypes.LaunchType(p.LaunchType), p.PlatformVersion
	in.EnableECSManagedTags, in.EnableExecuteCommand = p.EnableECSManagedTags, p.EnableExecuteCommand
	in.PropagateTags = ecstypes.PropagateTags(p.PropagateTags)
	for _, c := range p.CapacityProviderStrategy {
		in.CapacityProviderStrategy = append(in.CapacityProviderStrategy, ecstypes.CapacityProviderStrategyItem{CapacityProvider: c.CapacityProvider, Base: c.Base, Weight: c.Weight})
	}
	if n := p.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		a := n.AwsvpcConfiguration
		in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: a.Subnets, SecurityGroups: a.SecurityGroups, AssignPublicIp: ecstypes.AssignPublicIp(a.AssignPublicIp)}}
	}
	for _, c := range p.PlacementConstraints {
		in.PlacementConstraints = append(in.PlacementConstraints, ecstypes.PlacementConstraint{Type: ecstypes.PlacementConstraintType(c.Type), Expression: c.Expression})
	}
	for _, s := range p.PlacementStrategy {
		in.PlacementStrategy = append(in.PlacementStrategy, ecstypes.PlacementStrategy{Type: ecstypes.PlacementStrategyType(s.Type), Field: s.Field})
	}
	for _, tg := range p.Tags {
		in.Tags = append(in.Tags, ecstypes.Tag{Key: tg.Key, Value: tg.Value})
	}
	return in, input, nil
}

// Runner starts a job's task now.
type Runner interface {
	RunTask(ctx context.Context, in *ecs.RunTaskInput, opts ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
}

// RunNow starts the job's task with the RunTask call its firing would make
// and returns the started tasks' ARNs. A placement failure is an error:
// nothing half-started is left unreported. (cron run without --no-wait
// starts and follows the task through ops/task instead.)
func RunNow(ctx context.Context, ecsAPI Runner, j *Job) ([]string, error) {
	in, err := RunTaskInput(j)
	if err != nil {
		return nil, err
	}
	out, err := ecsAPI.RunTask(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("run task %s for %s: %w", aws.ToString(in.TaskDefinition), j.ID(), err)
	}
	var arns []string
	for _, t := range out.Tasks {
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		msg := fmt.Sprintf("run task %s for %s: %s", aws.ToString(in.TaskDefinition), j.ID(), aws.ToString(f.Reason))
		if len(arns) > 0 {
			msg += fmt.Sprintf(" (%d of %d started: %s)", len(arns), aws.ToInt32(in.Count), strings.Join(arns, ", "))
		}
		return arns, fmt.Errorf("%s: %w", msg, ops.ErrFailed)
	}
	return arns, nil
}
