package sim

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// EventBridge Scheduler API: schedules in groups (only the groups schedules
// name exist, "default" always). Semantics from the Scheduler API Reference:
// UpdateSchedule replaces the whole schedule (members left out take their
// defaults), GetSchedule and UpdateSchedule on a missing schedule are
// ResourceNotFoundException (404), CreateSchedule of an existing name is
// ConflictException (409). A target's parameters are checked when it fires,
// not when it is saved.

func init() {
	register(SvcScheduler, "CreateSchedule", (*Sim).schedCreate)
	register(SvcScheduler, "UpdateSchedule", (*Sim).schedUpdate)
	register(SvcScheduler, "GetSchedule", (*Sim).schedGet)
	register(SvcScheduler, "ListSchedules", (*Sim).schedList)
	register(SvcScheduler, "DeleteSchedule", (*Sim).schedDelete)
}

func schedNotFound(group, name string) *APIError {
	return &APIError{Code: "ResourceNotFoundException", Message: "Schedule " + name + " does not exist.", Status: 404}
}

func schedGroupOf(g *string) string {
	if aws.ToString(g) == "" {
		return "default"
	}
	return aws.ToString(g)
}

func (s *Sim) schedGroupExists(g string) bool {
	if g == "default" {
		return true
	}
	for _, sc := range s.sched().Schedules {
		if sc.Group == g {
			return true
		}
	}
	return false
}

// schedFields are the members CreateSchedule and UpdateSchedule share.
type schedFields struct {
	Name, GroupName, Expression, Timezone, Description, KmsKeyArn *string
	StartDate, EndDate                                            *time.Time
	State                                                         schedtypes.ScheduleState
	Flexible                                                      *schedtypes.FlexibleTimeWindow
	Target                                                        *schedtypes.Target
	After                                                         schedtypes.ActionAfterCompletion
}

func (s *Sim) schedValidate(f schedFields) error {
	name := aws.ToString(f.Name)
	if name == "" || len(name) > 64 {
		return apiErr("ValidationException", "Name must be 1 to 64 characters.")
	}
	if f.Expression == nil {
		return apiErr("ValidationException", "ScheduleExpression is required.")
	}
	if f.Flexible == nil {
		return apiErr("ValidationException", "FlexibleTimeWindow is required.")
	}
	if f.Flexible.Mode == schedtypes.FlexibleTimeWindowModeFlexible {
		if w := aws.ToInt32(f.Flexible.MaximumWindowInMinutes); w < 1 || w > 1440 {
			return apiErr("ValidationException", "MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.")
		}
	}
	if f.Target == nil || aws.ToString(f.Target.Arn) == "" || aws.ToString(f.Target.RoleArn) == "" {
		return apiErr("ValidationException", "Target with Arn and RoleArn is required.")
	}
	if p := f.Target.EcsParameters; p != nil && aws.ToString(p.TaskDefinitionArn) == "" {
		return apiErr("ValidationException", "EcsParameters.TaskDefinitionArn is required.")
	}
	switch f.State {
	case "", schedtypes.ScheduleStateEnabled, schedtypes.ScheduleStateDisabled:
	default:
		return apiErr("ValidationException", "State must be ENABLED or DISABLED.")
	}
	return validateExpression(aws.ToString(f.Expression), aws.ToString(f.Timezone))
}

// schedApply sets every member of sc from f: an update replaces the whole
// schedule.
func (s *Sim) schedApply(sc *simSchedule, f schedFields) {
	sc.Expression = aws.ToString(f.Expression)
	sc.Timezone = aws.ToString(f.Timezone)
	sc.Description = aws.ToString(f.Description)
	sc.KmsKeyArn = aws.ToString(f.KmsKeyArn)
	sc.StartDate, sc.EndDate = f.StartDate, f.EndDate
	sc.State = f.State
	if sc.State == "" {
		sc.State = schedtypes.ScheduleStateEnabled
	}
	sc.Flexible = *f.Flexible
	sc.Target = *f.Target
	if sc.Target.RetryPolicy == nil {
		sc.Target.RetryPolicy = &schedtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(86400), MaximumRetryAttempts: aws.Int32(185)}
	}
	if p := sc.Target.EcsParameters; p != nil && p.TaskCount == nil {
		p.TaskCount = aws.Int32(1)
	}
	sc.ActionAfterCompletion = f.After
	if sc.ActionAfterCompletion == "" {
		sc.ActionAfterCompletion = schedtypes.ActionAfterCompletionNone
	}
	sc.Modified = s.now
	s.schedArm(sc)
}

func (s *Sim) schedCreate(in *scheduler.CreateScheduleInput) (*scheduler.CreateScheduleOutput, error) {
	f := schedFields{in.Name, in.GroupName, in.ScheduleExpression, in.ScheduleExpressionTimezone, in.Description, in.KmsKeyArn,
		in.StartDate, in.EndDate, in.State, in.FlexibleTimeWindow, in.Target, in.ActionAfterCompletion}
	if err := s.schedValidate(f); err != nil {
		return nil, err
	}
	group := schedGroupOf(in.GroupName)
	if !s.schedGroupExists(group) {
		return nil, &APIError{Code: "ResourceNotFoundException", Message: "Schedule group " + group + " does not exist.", Status: 404}
	}
	key := group + "/" + aws.ToString(in.Name)
	if s.sched().Schedules[key] != nil {
		return nil, &APIError{Code: "ConflictException", Message: "Schedule " + aws.ToString(in.Name) + " already exists.", Status: 409}
	}
	sc := &simSchedule{Name: aws.ToString(in.Name), Group: group, Arn: s.arn("scheduler", "schedule/"+key), Created: s.now}
	s.sched().Schedules[key] = sc
	s.schedApply(sc, f)
	return &scheduler.CreateScheduleOutput{ScheduleArn: aws.String(sc.Arn)}, nil
}

func (s *Sim) schedUpdate(in *scheduler.UpdateScheduleInput) (*scheduler.UpdateScheduleOutput, error) {
	f := schedFields{in.Name, in.GroupName, in.ScheduleExpression, in.ScheduleExpressionTimezone, in.Description, in.KmsKeyArn,
		in.StartDate, in.EndDate, in.State, in.FlexibleTimeWindow, in.Target, in.ActionAfterCompletion}
	group := schedGroupOf(in.GroupName)
	sc := s.sched().Schedules[group+"/"+aws.ToString(in.Name)]
	if sc == nil {
		return nil, schedNotFound(group, aws.ToString(in.Name))
	}
	if err := s.schedValidate(f); err != nil {
		return nil, err
	}
	s.schedApply(sc, f)
	return &scheduler.UpdateScheduleOutput{ScheduleArn: aws.String(sc.Arn)}, nil
}

func (s *Sim) schedDelete(in *scheduler.DeleteScheduleInput) (*scheduler.DeleteScheduleOutput, error) {
	group := schedGroupOf(in.GroupName)
	key := group + "/" + aws.ToString(in.Name)
	sc := s.sched().Schedules[key]
	if sc == nil {
		return nil, schedNotFound(group, aws.ToString(in.Name))
	}
	sc.Gen++ // drops the queued firing
	delete(s.sched().Schedules, key)
	return &scheduler.DeleteScheduleOutput{}, nil
}

func (s *Sim) schedGet(in *scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error) {
	group := schedGroupOf(in.GroupName)
	sc := s.sched().Schedules[group+"/"+aws.ToString(in.Name)]
	if sc == nil {
		return nil, schedNotFound(group, aws.ToString(in.Name))
	}
	created, modified := sc.Created, sc.Modified
	flex := sc.Flexible
	target := copySchedTarget(sc.Target)
	out := &scheduler.GetScheduleOutput{
		Arn: aws.String(sc.Arn), Name: aws.String(sc.Name), GroupName: aws.String(sc.Group),
		ScheduleExpression: aws.String(sc.Expression), State: sc.State,
		CreationDate: &created, LastModificationDate: &modified,
		FlexibleTimeWindow: &flex, Target: &target, ActionAfterCompletion: sc.ActionAfterCompletion,
		StartDate: sc.StartDate, EndDate: sc.EndDate,
	}
	// GetSchedule returns the time zone it reads the expression in, UTC
	// when none was given.
	out.ScheduleExpressionTimezone = aws.String("UTC")
	if sc.Timezone != "" {
		out.ScheduleExpressionTimezone = aws.String(sc.Timezone)
	}
	if sc.Description != "" {
		out.Description = aws.String(sc.Description)
	}
	if sc.KmsKeyArn != "" {
		out.KmsKeyArn = aws.String(sc.KmsKeyArn)
	}
	return out, nil
}

// copySchedTarget copies a target deep enough that encoding it outside the
// lock cannot race an update (the output is encoded under the lock anyway).
func copySchedTarget(t schedtypes.Target) schedtypes.Target {
	if t.EcsParameters != nil {
		p := *t.EcsParameters
		t.EcsParameters = &p
	}
	return t
}

func (s *Sim) schedList(in *scheduler.ListSchedulesInput) (*scheduler.ListSchedulesOutput, error) {
	max := s.PageSize()
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, apiErr("ValidationException", "MaxResults must be between 1 and 100.")
		}
		max = min(max, int(*in.MaxResults))
	}
	var keys []string
	for k, sc := range s.sched().Schedules {
		if in.GroupName != nil && sc.Group != *in.GroupName {
			continue
		}
		if in.NamePrefix != nil && !strings.HasPrefix(sc.Name, *in.NamePrefix) {
			continue
		}
		if in.State != "" && sc.State != in.State {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(keys) {
			return nil, apiErr("ValidationException", "Invalid NextToken.")
		}
		start = n
	}
	out := &scheduler.ListSchedulesOutput{Schedules: []schedtypes.ScheduleSummary{}}
	end := min(start+max, len(keys))
	for _, k := range keys[start:end] {
		sc := s.sched().Schedules[k]
		created, modified := sc.Created, sc.Modified
		out.Schedules = append(out.Schedules, schedtypes.ScheduleSummary{
			Arn: aws.String(sc.Arn), Name: aws.String(sc.Name), GroupName: aws.String(sc.Group), State: sc.State,
			CreationDate: &created, LastModificationDate: &modified,
			Target: &schedtypes.TargetSummary{Arn: sc.Target.Arn},
		})
	}
	if end < len(keys) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}
