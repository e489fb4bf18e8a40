package sim

import (
	"ecsctl/sim/wire"

	"encoding/json"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// EventBridge Scheduler schedules and EventBridge rules that run ECS tasks.
// Both fire on the virtual clock and start tasks through ecsRunTask, the same
// path as the RunTask API.
//
// What a failed start leaves behind follows AWS:
//   - Scheduler publishes AWS/Scheduler metrics whose only dimension is
//     ScheduleGroup (EventBridge Scheduler User Guide, "Monitoring Amazon
//     EventBridge Scheduler with Amazon CloudWatch": InvocationAttemptCount,
//     TargetErrorCount when the target API returns an error,
//     InvocationDroppedCount when Scheduler gives up). The sandbox counts a
//     RunTask that returns an error or placement failures as a target error
//     and does not retry it (a missing task definition or no capacity does
//     not fix itself within a retry policy's backoff), so it is dropped too.
//   - EventBridge publishes AWS/Events Invocations and FailedInvocations with
//     the dimension RuleName (EventBridge User Guide, "Monitoring Amazon
//     EventBridge": FailedInvocations, "invocations that failed
//     permanently").
//
// Tasks a rule starts carry startedBy "events-rule/<rule name>"; tasks a
// schedule starts carry startedBy "chronos-schedule/<schedule name>" cut to
// 36 characters, and the schedule's EcsParameters.Group (default
// family:<family>) and tags. Neither startedBy is in the API references:
// both are what DescribeTasks shows on real accounts, as published in
// operators' notes and code (e.g. "chronos-schedule/gold-coast-data-lak" for
// a schedule named gold-coast-data-lake-…, every observed value at most 36
// characters; "aws ecs list-tasks --started-by events-rule/<rule>"). Verify
// on a real account before relying on more than the prefix.

// schedState is the account's schedules and rules.
type schedState struct {
	Schedules map[string]*simSchedule `json:"schedules"` // by group + "/" + name
	Rules     map[string]*simRule     `json:"rules"`     // by name (default event bus)
}

// simSchedule is one EventBridge Scheduler schedule.
type simSchedule struct {
	Name, Group, Arn      string
	Description           string
	Expression, Timezone  string
	State                 schedtypes.ScheduleState
	StartDate, EndDate    *time.Time
	Created, Modified     time.Time
	Flexible              schedtypes.FlexibleTimeWindow
	Target                schedtypes.Target
	ActionAfterCompletion schedtypes.ActionAfterCompletion
	KmsKeyArn             string
	// Gen changes on every update; a queued firing of an older generation
	// is ignored.
	Gen int
	// NextRun is the nominal time of the queued firing (zero: none).
	NextRun time.Time
}

// simRule is one EventBridge rule on the default event bus.
type simRule struct {
	Name, Arn, Description string
	Expression             string
	EventPattern           string
	State                  evtypes.RuleState
	RoleArn                string
	Targets                []evtypes.Target
	Gen                    int
	NextRun                time.Time
}

// ScheduleSpec is an EventBridge Scheduler schedule that runs an ECS task in
// a cluster of the world.
type ScheduleSpec struct {
	Name  string `json:"name"`
	Group string `json:"group,omitempty"` // default "default"
	// Expression is cron(...), rate(...) or at(...).
	Expression string `json:"expression"`
	Timezone   string `json:"timezone,omitempty"`
	Disabled   bool   `json:"disabled,omitempty"`
	// FlexibleWindowMinutes > 0 makes the window FLEXIBLE.
	FlexibleWindowMinutes int    `json:"flexibleWindowMinutes,omitempty"`
	Cluster               string `json:"cluster"`
	// TaskDefinition is family:revision.
	TaskDefinition string `json:"taskDefinition"`
	// AgeHours is how long before the world's start it was created.
	AgeHours float64 `json:"ageHours,omitempty"`
	// PastFailures records this many failed invocations (AWS/Scheduler
	// metrics) at its last nominal runs before the world's start, the
	// history a schedule whose target cannot start has on AWS.
	PastFailures int `json:"pastFailures,omitempty"`
}

// RuleSpec is an EventBridge rule with a schedule expression and one ECS
// target.
type RuleSpec struct {
	Name           string `json:"name"`
	Expression     string `json:"expression"`
	Disabled       bool   `json:"disabled,omitempty"`
	Cluster        string `json:"cluster"`
	TaskDefinition string `json:"taskDefinition"`
}

const (
	evScheduleFire = "scheduler.fire"
	evRuleFire     = "events.fire"
	nsScheduler    = "AWS/Scheduler"
	nsEvents       = "AWS/Events"
	// cwCountRetention: CloudWatch keeps one-minute data points 15 days
	// (CloudWatch User Guide, "Metrics retention").
	cwCountRetention = 15 * 24 * time.Hour
)

func newSchedState() *schedState {
	return &schedState{Schedules: map[string]*simSchedule{}, Rules: map[string]*simRule{}}
}

func init() {
	registerEvent(evScheduleFire, (*Sim).schedFire)
	registerEvent(evRuleFire, (*Sim).ruleFire)
	// A schedule's next run is bookkeeping, not work: it must not make a
	// RealTimeWhenIdle clock run fast until midnight.
	idleKinds[evScheduleFire] = true
	idleKinds[evRuleFire] = true
	registerWorldLoader(loadOrderRest, "scheduler", loadSchedules)
	registerAfterLoad(func(s *Sim) {
		if s.schedules == nil {
			s.schedules = newSchedState()
		}
	})
}

func (s *Sim) sched() *schedState {
	if s.schedules == nil {
		s.schedules = newSchedState()
	}
	return s.schedules
}

func loadSchedules(s *Sim, w *World) error {
	st := s.sched()
	for _, sp := range w.Schedules {
		group := sp.Group
		if group == "" {
			group = "default"
		}
		created := s.now.Add(-time.Duration(sp.AgeHours * float64(time.Hour)))
		sc := &simSchedule{
			Name: sp.Name, Group: group, Arn: s.arn("scheduler", "schedule/"+group+"/"+sp.Name),
			Expression: sp.Expression, Timezone: sp.Timezone, State: schedtypes.ScheduleStateEnabled,
			Created: created, Modified: created,
			Flexible: schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
			Target: schedtypes.Target{
				Arn:     aws.String(s.arn("ecs", "cluster/"+sp.Cluster)),
				RoleArn: aws.String(s.arn("iam", "role/ecs-scheduler")),
				EcsParameters: &schedtypes.EcsParameters{
					TaskDefinitionArn: aws.String(s.arn("ecs", "task-definition/"+sp.TaskDefinition)),
					TaskCount:         aws.Int32(1),
					LaunchType:        schedtypes.LaunchTypeEc2,
				},
				RetryPolicy: &schedtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(86400), MaximumRetryAttempts: aws.Int32(185)},
			},
		}
		if sp.Disabled {
			sc.State = schedtypes.ScheduleStateDisabled
		}
		if sp.FlexibleWindowMinutes > 0 {
			sc.Flexible = schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(int32(sp.FlexibleWindowMinutes))}
		}
		if err := validateExpression(sc.Expression, sc.Timezone); err != nil {
			return err
		}
		st.Schedules[group+"/"+sp.Name] = sc
		s.schedSeedFailures(sc, sp.PastFailures)
		s.schedArm(sc)
	}
	for _, rp := range w.Rules {
		r := &simRule{
			Name: rp.Name, Arn: s.arn("events", "rule/"+rp.Name), Expression: rp.Expression,
			State:   evtypes.RuleStateEnabled,
			RoleArn: s.arn("iam", "role/ecsEventsRole"),
			Targets: []evtypes.Target{{
				Id:      aws.String(rp.Name + "-ecs"),
				Arn:     aws.String(s.arn("ecs", "cluster/"+rp.Cluster)),
				RoleArn: aws.String(s.arn("iam", "role/ecsEventsRole")),
				EcsParameters: &evtypes.EcsParameters{
					TaskDefinitionArn: aws.String(s.arn("ecs", "task-definition/"+rp.TaskDefinition)),
					TaskCount:         aws.Int32(1),
					LaunchType:        evtypes.LaunchTypeEc2,
				},
			}},
		}
		if rp.Disabled {
			r.State = evtypes.RuleStateDisabled
		}
		if err := validateExpression(r.Expression, ""); err != nil {
			return err
		}
		st.Rules[r.Name] = r
		s.ruleArm(r)
	}
	return nil
}

func validateExpression(expr, tz string) error {
	if _, err := parseSchedExpr(expr); err != nil {
		return apiErr("ValidationException", "Invalid Schedule Expression %s.", expr)
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return apiErr("ValidationException", "Invalid timezone %s.", tz)
		}
	}
	return nil
}

// schedSeedFailures records n failed invocations at the schedule's last n
// nominal runs within the metrics' retention.
func (s *Sim) schedSeedFailures(sc *simSchedule, n int) {
	e, err := parseSchedExpr(sc.Expression)
	if n <= 0 || err != nil {
		return
	}
	var loc *time.Location
	if sc.Timezone != "" {
		loc, _ = time.LoadLocation(sc.Timezone)
	}
	var runs []time.Time
	from := maxTime(s.now.Add(-cwCountRetention), sc.Created)
	for t, ok := e.next(from, sc.Created, loc); ok && t.Before(s.now); t, ok = e.next(t, sc.Created, loc) {
		runs = append(runs, t)
	}
	if len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	now := s.now
	defer func() { s.now = now }()
	dims := []MetricDimension{{"ScheduleGroup", sc.Group}}
	for _, t := range runs {
		s.now = t
		for _, m := range []string{"InvocationAttemptCount", "TargetErrorCount", "InvocationDroppedCount"} {
			s.cwCount(nsScheduler, m, dims)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// schedArm queues the schedule's next firing (after the present).
func (s *Sim) schedArm(sc *simSchedule) {
	sc.Gen++
	sc.NextRun = time.Time{}
	if sc.State != schedtypes.ScheduleStateEnabled {
		return
	}
	e, err := parseSchedExpr(sc.Expression)
	if err != nil {
		return
	}
	var loc *time.Location
	if sc.Timezone != "" {
		loc, _ = time.LoadLocation(sc.Timezone)
	}
	base := sc.Created
	if sc.StartDate != nil {
		base = *sc.StartDate
	}
	from := s.now
	if sc.StartDate != nil && sc.StartDate.After(from) && e.kind != schedRate {
		from = *sc.StartDate
	}
	next, ok := e.next(from, base, loc)
	if !ok || (sc.EndDate != nil && next.After(*sc.EndDate)) {
		return
	}
	sc.NextRun = next
	at := next
	// A flexible window invokes the target at some time within the window
	// after the scheduled time (Scheduler User Guide, "Configuring flexible
	// time windows").
	if sc.Flexible.Mode == schedtypes.FlexibleTimeWindowModeFlexible {
		if w := aws.ToInt32(sc.Flexible.MaximumWindowInMinutes); w > 0 {
			// A hash, not the account's random source: arming a
			// schedule must not shift the IDs everything else draws.
			h := fnv.New64a()
			h.Write([]byte(sc.Arn + next.String()))
			at = at.Add(time.Duration(h.Sum64() % uint64(int64(w)*int64(time.Minute))))
		}
	}
	s.schedule(at, evScheduleFire, fireKey(sc.Group+"/"+sc.Name, sc.Gen))
}

func (s *Sim) ruleArm(r *simRule) {
	r.Gen++
	r.NextRun = time.Time{}
	if r.State != evtypes.RuleStateEnabled || r.Expression == "" {
		return
	}
	e, err := parseSchedExpr(r.Expression)
	if err != nil || e.kind == schedAt {
		return
	}
	// A rate rule counts from its creation; the sandbox takes the present
	// arming time, which is when it was created or last enabled.
	next, ok := e.next(s.now, s.now, time.UTC)
	if !ok {
		return
	}
	r.NextRun = next
	s.schedule(next, evRuleFire, fireKey(r.Name, r.Gen))
}

func fireKey(name string, gen int) string {
	b, _ := json.Marshal([]any{name, gen})
	return string(b)
}

func parseFireKey(key string) (string, int) {
	var v []any
	if json.Unmarshal([]byte(key), &v) != nil || len(v) != 2 {
		return "", -1
	}
	name, _ := v[0].(string)
	gen, _ := v[1].(float64)
	return name, int(gen)
}

func (s *Sim) schedFire(key string) {
	id, gen := parseFireKey(key)
	sc := s.sched().Schedules[id]
	if sc == nil || sc.Gen != gen {
		return
	}
	p := sc.Target.EcsParameters
	group := sc.Group
	if p != nil && isECSCluster(aws.ToString(sc.Target.Arn)) {
		in := &ecs.RunTaskInput{
			Cluster:              sc.Target.Arn,
			TaskDefinition:       p.TaskDefinitionArn,
			Count:                p.TaskCount,
			Group:                p.Group,
			LaunchType:           ecstypes.LaunchType(p.LaunchType),
			PlatformVersion:      p.PlatformVersion,
			EnableECSManagedTags: aws.ToBool(p.EnableECSManagedTags),
			PropagateTags:        ecstypes.PropagateTags(p.PropagateTags),
			Overrides:            overridesFromInput(aws.ToString(sc.Target.Input)),
			StartedBy:            aws.String(scheduleStartedBy(sc.Name)),
		}
		for _, t := range p.Tags {
			for k, v := range t {
				in.Tags = append(in.Tags, ecstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
		}
		sort.Slice(in.Tags, func(i, j int) bool { return aws.ToString(in.Tags[i].Key) < aws.ToString(in.Tags[j].Key) })
		dims := []MetricDimension{{"ScheduleGroup", group}}
		s.cwCount(nsScheduler, "InvocationAttemptCount", dims)
		if !s.runTaskOK(in) {
			s.cwCount(nsScheduler, "TargetErrorCount", dims)
			s.cwCount(nsScheduler, "InvocationDroppedCount", dims)
		}
	}
	e, _ := parseSchedExpr(sc.Expression)
	if e != nil && e.kind == schedAt {
		sc.NextRun = time.Time{}
		if sc.ActionAfterCompletion == schedtypes.ActionAfterCompletionDelete {
			delete(s.sched().Schedules, id)
		}
		return
	}
	// The next run follows the nominal time, not the (flexible) firing.
	if sc.NextRun.After(s.now) {
		return
	}
	now := s.now
	s.now = sc.NextRun
	s.schedArm(sc)
	s.now = now
}

func (s *Sim) ruleFire(key string) {
	name, gen := parseFireKey(key)
	r := s.sched().Rules[name]
	if r == nil || r.Gen != gen {
		return
	}
	s.cwCount(nsEvents, "TriggeredRules", []MetricDimension{{"RuleName", r.Name}})
	for _, t := range r.Targets {
		p := t.EcsParameters
		if p == nil || !isECSCluster(aws.ToString(t.Arn)) {
			continue
		}
		in := &ecs.RunTaskInput{
			Cluster:              t.Arn,
			TaskDefinition:       p.TaskDefinitionArn,
			Count:                p.TaskCount,
			Group:                p.Group,
			LaunchType:           ecstypes.LaunchType(p.LaunchType),
			PlatformVersion:      p.PlatformVersion,
			EnableECSManagedTags: p.EnableECSManagedTags,
			PropagateTags:        ecstypes.PropagateTags(p.PropagateTags),
			StartedBy:            aws.String(ruleStartedBy(r.Name)),
			Overrides:            overridesFromInput(aws.ToString(t.Input)),
		}
		for _, tg := range p.Tags {
			in.Tags = append(in.Tags, ecstypes.Tag{Key: tg.Key, Value: tg.Value})
		}
		dims := []MetricDimension{{"RuleName", r.Name}}
		s.cwCount(nsEvents, "Invocations", dims)
		if !s.runTaskOK(in) {
			s.cwCount(nsEvents, "FailedInvocations", dims)
		}
	}
	at := r.NextRun
	now := s.now
	s.now = at
	s.ruleArm(r)
	s.now = now
}

// scheduleStartedBy is the startedBy of a task a schedule starts (see the
// comment at the top of the file).
func scheduleStartedBy(name string) string {
	v := "chronos-schedule/" + name
	if len(v) > 36 {
		v = v[:36]
	}
	return v
}

// ruleStartedBy is the startedBy of a task a rule starts (at most 128
// characters, as RunTask allows).
func ruleStartedBy(rule string) string {
	v := "events-rule/" + rule
	if len(v) > 128 {
		v = v[:128]
	}
	return v
}

func isECSCluster(arn string) bool {
	return strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":ecs:") && strings.Contains(arn, ":cluster/")
}

// runTaskOK starts the tasks through the RunTask API's own path and reports
// whether every task started.
func (s *Sim) runTaskOK(in *ecs.RunTaskInput) bool {
	out, err := s.ecsRunTask(in)
	return err == nil && len(out.Failures) == 0 && len(out.Tasks) > 0
}

// overridesFromInput reads a target's Input as ECS task overrides, as
// EventBridge does for ECS targets ("containerOverrides", "taskRoleArn", ...
// of a TaskOverride); input that is not such JSON gives none.
func overridesFromInput(input string) *ecstypes.TaskOverride {
	if strings.TrimSpace(input) == "" {
		return nil
	}
	var ov ecstypes.TaskOverride
	if wire.DecodeJSON([]byte(input), &ov) != nil {
		return nil
	}
	return &ov
}

// cwCount adds 1 to a Count metric at the present minute.
func (s *Sim) cwCount(ns, name string, dims []MetricDimension) {
	dims = sortDims(dims)
	key := seriesKey(ns, name, dims)
	cw := s.cw
	ser := cw.Series[key]
	if ser == nil {
		ser = &MetricSeries{Namespace: ns, Name: name, Dimensions: dims, Unit: "Count"}
		cw.Series[key] = ser
	}
	ser.Points = append(ser.Points, MetricPoint{T: s.now, V: 1})
	cut := s.now.Add(-cwCountRetention)
	drop := 0
	for drop < len(ser.Points) && ser.Points[drop].T.Before(cut) {
		drop++
	}
	if drop > 0 {
		ser.Points = append(ser.Points[:0:0], ser.Points[drop:]...)
	}
}
