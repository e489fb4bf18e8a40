package cron

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// RulesAPI is what moving rule targets and finding every referenced
// revision need beyond EventsAPI.
type RulesAPI interface {
	ListRules(ctx context.Context, in *eventbridge.ListRulesInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListRulesOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
}

// Move is a job moved (or, in a dry run, to be moved) between revisions of
// a family after a deploy or rollback.
type Move struct {
	Job  string `json:"job"`
	From string `json:"from"`
	To   string `json:"to"`
}

// FollowRevision moves the cluster's jobs of newTD's family to newTD: with
// onlyFrom set, only those on that revision (a rollback moves back what the
// deploy moved), otherwise every one on another revision. A schedule is
// updated with its whole definition and the new task definition; a rule
// target is put again whole with it. It stops at the first failure and
// returns what it moved so far.
func FollowRevision(ctx context.Context, r *Reader, sched SchedulerAPI, rules RulesAPI, cluster, newTD, onlyFrom string, dryRun bool) ([]Move, error) {
	jobs, err := r.jobs(ctx, cluster)
	if err != nil {
		return nil, err
	}
	if !dryRun {
		defer r.forget(cluster) // what it moves is read again next time
	}
	fam, rev := familyRevision(newTD)
	var moves []Move
	for _, j := range jobs {
		if j.Family != fam || j.Revision == rev {
			continue
		}
		if onlyFrom != "" && !sameRevision(j.TaskDefinition, onlyFrom) {
			continue
		}
		m := Move{Job: j.ID(), From: fmt.Sprintf("%s:%d", j.Family, j.Revision), To: fmt.Sprintf("%s:%d", fam, rev)}
		if dryRun {
			moves = append(moves, m)
			continue
		}
		if j.Kind == KindSchedule {
			in := UpdateInput(j.schedule)
			t := *in.Target
			p := *t.EcsParameters
			p.TaskDefinitionArn = aws.String(newTD)
			t.EcsParameters = &p
			in.Target = &t
			if _, err := sched.UpdateSchedule(ctx, in); err != nil {
				return moves, fmt.Errorf("update schedule %s/%s to %s: %w", j.Group, j.Name, m.To, err)
			}
		} else {
			t := *j.target
			p := *t.EcsParameters
			p.TaskDefinitionArn = aws.String(newTD)
			t.EcsParameters = &p
			out, err := rules.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(j.Name), Targets: []evtypes.Target{t}})
			if err == nil && out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
				err = fmt.Errorf("%s: %s", aws.ToString(out.FailedEntries[0].ErrorCode), aws.ToString(out.FailedEntries[0].ErrorMessage))
			}
			if err != nil {
				return moves, fmt.Errorf("put target %s of rule %s to %s: %w", j.TargetID, j.Name, m.To, err)
			}
		}
		moves = append(moves, m)
	}
	return moves, nil
}

// Behind lists the cluster's jobs of td's family that run another revision.
func Behind(ctx context.Context, r *Reader, cluster, td string) ([]Move, error) {
	return FollowRevision(ctx, r, nil, nil, cluster, td, "", true)
}

// ReferencedRevisions lists the task definitions of family that any
// schedule or rule target in the region names (any cluster): pruning must
// keep them, since an INACTIVE revision cannot start tasks.
func ReferencedRevisions(ctx context.Context, sched SchedulerAPI, rules RulesAPI, family string) ([]string, error) {
	seen := map[string]bool{}
	add := func(td string) {
		if f, _ := familyRevision(td); f == family {
			seen[td] = true
		}
	}
	p := scheduler.NewListSchedulesPaginator(sched, &scheduler.ListSchedulesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		for _, s := range page.Schedules {
			if s.Target == nil || !strings.Contains(aws.ToString(s.Target.Arn), ":ecs:") {
				continue
			}
			g, err := sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: s.Name, GroupName: s.GroupName})
			if err != nil {
				return nil, fmt.Errorf("get schedule %s/%s: %w", aws.ToString(s.GroupName), aws.ToString(s.Name), err)
			}
			if g.Target != nil && g.Target.EcsParameters != nil {
				add(aws.ToString(g.Target.EcsParameters.TaskDefinitionArn))
			}
		}
	}
	var token *string
	for {
		out, err := rules.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list rules: %w", err)
		}
		for _, rule := range out.Rules {
			var tt *string
			for {
				ts, err := rules.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rule.Name, NextToken: tt})
				if err != nil {
					return nil, fmt.Errorf("list targets of rule %s: %w", aws.ToString(rule.Name), err)
				}
				for _, t := range ts.Targets {
					if t.EcsParameters != nil {
						add(aws.ToString(t.EcsParameters.TaskDefinitionArn))
					}
				}
				if tt = ts.NextToken; tt == nil {
					break
				}
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	refs := make([]string, 0, len(seen))
	for td := range seen {
		refs = append(refs, td)
	}
	sort.Strings(refs)
	return refs, nil
}
