package sim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// SvcEvents is EventBridge (awsJson1_1, X-Amz-Target AWSEvents.<Op>): rules
// on the default event bus and their targets. Semantics from the EventBridge
// API Reference: a missing rule is ResourceNotFoundException; PutTargets
// reports per-target failures in FailedEntries rather than failing the call;
// ListRuleNamesByTarget lists the rules whose targets have that ARN.
const SvcEvents = "events"

func init() {
	register(SvcEvents, "ListRules", (*Sim).evListRules)
	register(SvcEvents, "DescribeRule", (*Sim).evDescribeRule)
	register(SvcEvents, "ListTargetsByRule", (*Sim).evListTargets)
	register(SvcEvents, "EnableRule", (*Sim).evEnableRule)
	register(SvcEvents, "DisableRule", (*Sim).evDisableRule)
	register(SvcEvents, "PutTargets", (*Sim).evPutTargets)
	register(SvcEvents, "PutRule", (*Sim).evPutRule)
	register(SvcEvents, "ListRuleNamesByTarget", (*Sim).evListRuleNamesByTarget)
}

func evCheckBus(bus *string) error {
	if b := aws.ToString(bus); b != "" && b != "default" && !strings.HasSuffix(b, ":event-bus/default") {
		return apiErr("ResourceNotFoundException", "Event bus %s does not exist.", b)
	}
	return nil
}

func (s *Sim) evRule(name *string, bus *string) (*simRule, error) {
	if err := evCheckBus(bus); err != nil {
		return nil, err
	}
	r := s.sched().Rules[aws.ToString(name)]
	if r == nil {
		return nil, apiErr("ResourceNotFoundException", "Rule %s does not exist on EventBus default.", aws.ToString(name))
	}
	return r, nil
}

// evPage pages a sorted list by an index token.
func evPage(n int, limit *int32, token *string, pageSize int) (start, end int, err error) {
	max := pageSize
	if limit != nil {
		if *limit < 1 || *limit > 100 {
			return 0, 0, apiErr("ValidationException", "Limit must be between 1 and 100.")
		}
		max = min(max, int(*limit))
	}
	if t := aws.ToString(token); t != "" {
		start, err = strconv.Atoi(t)
		if err != nil || start < 0 || start > n {
			return 0, 0, apiErr("ValidationException", "Invalid NextToken.")
		}
	}
	return start, min(start+max, n), nil
}

func nextTok(end, n int) *string {
	if end < n {
		return aws.String(strconv.Itoa(end))
	}
	return nil
}

func (s *Sim) evRuleView(r *simRule) evtypes.Rule {
	v := evtypes.Rule{Arn: aws.String(r.Arn), Name: aws.String(r.Name), EventBusName: aws.String("default"), State: r.State}
	if r.Expression != "" {
		v.ScheduleExpression = aws.String(r.Expression)
	}
	if r.EventPattern != "" {
		v.EventPattern = aws.String(r.EventPattern)
	}
	if r.Description != "" {
		v.Description = aws.String(r.Description)
	}
	if r.RoleArn != "" {
		v.RoleArn = aws.String(r.RoleArn)
	}
	return v
}

func (s *Sim) evListRules(in *eventbridge.ListRulesInput) (*eventbridge.ListRulesOutput, error) {
	if err := evCheckBus(in.EventBusName); err != nil {
		return nil, err
	}
	var names []string
	for n := range s.sched().Rules {
		if in.NamePrefix == nil || strings.HasPrefix(n, *in.NamePrefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start, end, err := evPage(len(names), in.Limit, in.NextToken, s.PageSize())
	if err != nil {
		return nil, err
	}
	out := &eventbridge.ListRulesOutput{Rules: []evtypes.Rule{}, NextToken: nextTok(end, len(names))}
	for _, n := range names[start:end] {
		out.Rules = append(out.Rules, s.evRuleView(s.sched().Rules[n]))
	}
	return out, nil
}

func (s *Sim) evDescribeRule(in *eventbridge.DescribeRuleInput) (*eventbridge.DescribeRuleOutput, error) {
	r, err := s.evRule(in.Name, in.EventBusName)
	if err != nil {
		return nil, err
	}
	v := s.evRuleView(r)
	return &eventbridge.DescribeRuleOutput{
		Arn: v.Arn, Name: v.Name, EventBusName: v.EventBusName, State: v.State, ScheduleExpression: v.ScheduleExpression,
		EventPattern: v.EventPattern, Description: v.Description, RoleArn: v.RoleArn, CreatedBy: aws.String(s.AccountID),
	}, nil
}

func (s *Sim) evListTargets(in *eventbridge.ListTargetsByRuleInput) (*eventbridge.ListTargetsByRuleOutput, error) {
	r, err := s.evRule(in.Rule, in.EventBusName)
	if err != nil {
		return nil, err
	}
	start, end, err := evPage(len(r.Targets), in.Limit, in.NextToken, s.PageSize())
	if err != nil {
		return nil, err
	}
	out := &eventbridge.ListTargetsByRuleOutput{Targets: []evtypes.Target{}, NextToken: nextTok(end, len(r.Targets))}
	for _, t := range r.Targets[start:end] {
		if t.EcsParameters != nil {
			p := *t.EcsParameters
			t.EcsParameters = &p
		}
		out.Targets = append(out.Targets, t)
	}
	return out, nil
}

func (s *Sim) evSetState(name, bus *string, state evtypes.RuleState) error {
	r, err := s.evRule(name, bus)
	if err != nil {
		return err
	}
	if r.State != state {
		r.State = state
		s.ruleArm(r)
	}
	return nil
}

func (s *Sim) evEnableRule(in *eventbridge.EnableRuleInput) (*eventbridge.EnableRuleOutput, error) {
	return &eventbridge.EnableRuleOutput{}, s.evSetState(in.Name, in.EventBusName, evtypes.RuleStateEnabled)
}

func (s *Sim) evDisableRule(in *eventbridge.DisableRuleInput) (*eventbridge.DisableRuleOutput, error) {
	return &eventbridge.DisableRuleOutput{}, s.evSetState(in.Name, in.EventBusName, evtypes.RuleStateDisabled)
}

func (s *Sim) evPutRule(in *eventbridge.PutRuleInput) (*eventbridge.PutRuleOutput, error) {
	if err := evCheckBus(in.EventBusName); err != nil {
		return nil, err
	}
	name := aws.ToString(in.Name)
	if name == "" || len(name) > 64 {
		return nil, apiErr("ValidationException", "Name must be 1 to 64 characters.")
	}
	if in.ScheduleExpression == nil && in.EventPattern == nil {
		return nil, apiErr("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if in.ScheduleExpression != nil {
		if err := validateExpression(*in.ScheduleExpression, ""); err != nil {
			return nil, apiErr("ValidationException", "Parameter ScheduleExpression is not valid.")
		}
	}
	r := s.sched().Rules[name]
	if r == nil {
		r = &simRule{Name: name, Arn: s.arn("events", "rule/"+name)}
		s.sched().Rules[name] = r
	}
	r.Expression, r.EventPattern = aws.ToString(in.ScheduleExpression), aws.ToString(in.EventPattern)
	r.Description, r.RoleArn = aws.ToString(in.Description), aws.ToString(in.RoleArn)
	r.State = in.State
	if r.State == "" {
		r.State = evtypes.RuleStateEnabled
	}
	s.ruleArm(r)
	return &eventbridge.PutRuleOutput{RuleArn: aws.String(r.Arn)}, nil
}

func (s *Sim) evPutTargets(in *eventbridge.PutTargetsInput) (*eventbridge.PutTargetsOutput, error) {
	r, err := s.evRule(in.Rule, in.EventBusName)
	if err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, apiErr("ValidationException", "Targets must hold 1 to 10 targets.")
	}
	out := &eventbridge.PutTargetsOutput{FailedEntries: []evtypes.PutTargetsResultEntry{}}
	for _, t := range in.Targets {
		fail := func(code, msg string) {
			out.FailedEntries = append(out.FailedEntries, evtypes.PutTargetsResultEntry{TargetId: t.Id, ErrorCode: aws.String(code), ErrorMessage: aws.String(msg)})
		}
		switch {
		case aws.ToString(t.Id) == "" || aws.ToString(t.Arn) == "":
			fail("ValidationException", "Target Id and Arn are required.")
			continue
		case t.EcsParameters != nil && aws.ToString(t.EcsParameters.TaskDefinitionArn) == "":
			fail("ValidationException", "EcsParameters.TaskDefinitionArn is required.")
			continue
		case t.EcsParameters != nil && aws.ToString(t.RoleArn) == "":
			fail("ValidationException", "RoleArn is required for target "+aws.ToString(t.Id)+".")
			continue
		}
		replaced := false
		for i := range r.Targets {
			if aws.ToString(r.Targets[i].Id) == aws.ToString(t.Id) {
				r.Targets[i], replaced = t, true
			}
		}
		if !replaced {
			r.Targets = append(r.Targets, t)
		}
	}
	out.FailedEntryCount = int32(len(out.FailedEntries))
	return out, nil
}

func (s *Sim) evListRuleNamesByTarget(in *eventbridge.ListRuleNamesByTargetInput) (*eventbridge.ListRuleNamesByTargetOutput, error) {
	if err := evCheckBus(in.EventBusName); err != nil {
		return nil, err
	}
	if aws.ToString(in.TargetArn) == "" {
		return nil, apiErr("ValidationException", "TargetArn is required.")
	}
	var names []string
	for n, r := range s.sched().Rules {
		for _, t := range r.Targets {
			if aws.ToString(t.Arn) == *in.TargetArn {
				names = append(names, n)
				break
			}
		}
	}
	sort.Strings(names)
	start, end, err := evPage(len(names), in.Limit, in.NextToken, s.PageSize())
	if err != nil {
		return nil, err
	}
	return &eventbridge.ListRuleNamesByTargetOutput{RuleNames: append([]string{}, names[start:end]...), NextToken: nextTok(end, len(names))}, nil
}
