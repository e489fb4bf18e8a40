package deploy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// RollbackRequest is what `ecsctl rollback` asks for.
type RollbackRequest struct {
	Cluster string
	Service string
	// ToRevision is the revision of the service's family to go back to;
	// 0 means the revision the service last ran successfully.
	ToRevision int
	Timeout    time.Duration
	NoWait     bool
	DryRun     bool
	// ToFamily is the family --to named (api of api:44); "" for a bare
	// number. It must be the service's family.
	ToFamily string
}

// Rollback puts a service back on an earlier revision and follows that
// deployment like a deploy (without rolling back the rollback).
func (d *Deployer) Rollback(ctx context.Context, req RollbackRequest) (*Result, error) {
	if err := ValidateRollbackRequest(ctx, req); err != nil {
		return nil, err
	}
	services, err := describeServices(ctx, d.ECS, req.Cluster, []string{req.Service})
	if err != nil {
		return nil, err
	}
	svc := services[req.Service]
	if err := ControllerRefusal(req.Cluster, svc, "roll back"); err != nil {
		return nil, err
	}
	current := aws.ToString(svc.TaskDefinition)
	if p := ops.PrimaryDeployment(svc); p != nil {
		current = aws.ToString(p.TaskDefinition)
	}
	family := familyOf(current)
	if req.ToFamily != "" && req.ToFamily != family {
		to := ops.Opt(ctx, "ToRevision")
		return nil, ops.Inputf("%s %s:%d names family %s, but %s/%s runs %s: give a revision of %s (%s %s:%d or %s %d)",
			to, req.ToFamily, req.ToRevision, req.ToFamily, req.Cluster, req.Service, ops.ShortTaskDef(current), family, to, family, req.ToRevision, to, req.ToRevision)
	}
	target, why, err := d.rollbackTarget(ctx, req, svc, current, family)
	if err != nil {
		return nil, err
	}
	res := &ServiceResult{Cluster: req.Cluster, Service: req.Service, OldTaskDefinition: current, NewTaskDefinition: target, StartedAt: d.clock().Now(), Desired: svc.DesiredCount, Running: svc.RunningCount,
		Kind: "rollback"}
	if why != "" {
		res.Notes = append(res.Notes, why)
	}
	result := &Result{Services: []*ServiceResult{res}}
	from, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(current)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", ops.ShortTaskDef(current), err)
	}
	to, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(target)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", ops.ShortTaskDef(target), err)
	}
	res.Images = rollbackImages(from.TaskDefinition, to.TaskDefinition)
	for _, n := range res.Notes {
		d.note(res, ops.EventNote, "%s", n)
	}
	var imgs []string
	for _, im := range res.Images {
		imgs = append(imgs, fmt.Sprintf("%s %s → %s", im.Container, im.From, im.To))
	}
	d.note(res, ops.EventInfo, "plan: %s → %s; images: %s", ops.ShortTaskDef(current), ops.ShortTaskDef(target), strings.Join(imgs, "; "))
	// A blue/green, linear or canary deployment in progress is stopped
	// with rollback, not overtaken by another deployment mid-shift.
	if arn, err := d.rollbackStrategyInFlight(ctx, req, svc, res); err != nil {
		return nil, err
	} else if arn != "" {
		switch {
		case req.DryRun:
			res.Outcome = OutcomeDryRun
		case req.NoWait:
			res.Outcome = OutcomeNotWaited
		default:
			d.followStrategyRollback(ctx, req, svc, res, arn)
		}
		if res.FinishedAt.IsZero() {
			res.FinishedAt = d.clock().Now()
		}
		res.DurationSeconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
		return result, result.Err()
	}
	if req.DryRun {
		res.Outcome = OutcomeDryRun
		res.FinishedAt = d.clock().Now()
		return result, nil
	}
	upd, err := d.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(req.Cluster), Service: aws.String(req.Service), TaskDefinition: aws.String(target)})
	if err != nil {
		return nil, fmt.Errorf("update service %s/%s: %w", req.Cluster, req.Service, err)
	}
	dep := ops.PrimaryDeployment(*upd.Service)
	if dep == nil {
		return nil, fmt.Errorf("update service %s/%s: no PRIMARY deployment in the answer", req.Cluster, req.Service)
	}
	res.DeploymentID = aws.ToString(dep.Id)
	d.note(res, ops.EventInfo, "rolling back from %s to %s: deployment %s", ops.ShortTaskDef(current), ops.ShortTaskDef(target), res.DeploymentID)
	if req.NoWait {
		res.Outcome = OutcomeNotWaited
		res.FinishedAt = d.clock().Now()
		return result, nil
	}
	dreq := Request{Cluster: req.Cluster, Timeout: req.Timeout, NoRollback: true}
	w := d.newWatch(dreq, res, *upd.Service, res.DeploymentID, target, phaseDeploy)
	w.noRollback = true
	d.follow(ctx, dreq, []*watch{w})
	res.DurationSeconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
	if res.Outcome == OutcomeFailed {
		res.Reason = trimNoRollbackSuffix(ctx, res.Reason)
	}
	return result, result.Err()
}

// noRollbackSuffix ends a failed deploy's reason when it was not rolled
// back because the request said so.
func noRollbackSuffix(ctx context.Context) string {
	return " — not rolled back (" + ops.Opt(ctx, "NoRollback") + ")"
}

func trimNoRollbackSuffix(ctx context.Context, s string) string {
	suffix := noRollbackSuffix(ctx)
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)]
	}
	return s
}

// ValidateRollbackRequest checks a rollback request before any AWS call.
func ValidateRollbackRequest(ctx context.Context, req RollbackRequest) error {
	if req.Cluster == "" {
		return ops.Inputf("missing %s: name the ECS cluster (or set ECSCTL_CLUSTER)", ops.Opt(ctx, "Cluster"))
	}
	if req.Service == "" {
		return ops.Inputf("missing %s: name the service to roll back", ops.Opt(ctx, "Service"))
	}
	if req.ToRevision < 0 {
		return ops.Inputf("invalid %s %d: want a revision number of the service's family", ops.Opt(ctx, "ToRevision"), req.ToRevision)
	}
	// Without waiting there is nothing to time out (top's rollback action).
	if req.Timeout <= 0 && !req.NoWait {
		return ops.Inputf("invalid %s %s: want a positive duration like 15m", ops.Opt(ctx, "Timeout"), req.Timeout)
	}
	return nil
}

// rollbackTarget picks the revision to go back to, and says why: the named
// one; else the revision the service last ran successfully, from the
// service deployment history; where that history cannot be read, a
// non-PRIMARY deployment that had COMPLETED, else the newest earlier ACTIVE
// revision that no recent deployment or task failed with (with a note that
// it was chosen without the history).
func (d *Deployer) rollbackTarget(ctx context.Context, req RollbackRequest, svc types.Service, current, family string) (string, string, error) {
	if to := req.ToRevision; to > 0 {
		name := family + ":" + strconv.Itoa(to)
		out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(name)})
		if err != nil {
			if code := awsapi.ErrorCode(err); code == "ClientException" || code == "InvalidParameterException" {
				return "", "", ops.Inputf("task definition %s does not exist: check %s (list them with 'aws ecs list-task-definitions --family-prefix %s')", name, ops.Opt(ctx, "ToRevision"), family)
			}
			return "", "", fmt.Errorf("describe task definition %s: %w", name, err)
		}
		if aws.ToString(out.TaskDefinition.TaskDefinitionArn) == current {
			return "", "", ops.Inputf("the service already runs %s: nothing to roll back to", name)
		}
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn), "", nil
	}
	historyNote := "the service deployment history is not available to ecsctl"
	if d.History != nil {
		arn, why, found, err := d.lastSuccessfulRevision(ctx, req.Cluster, req.Service, current)
		switch {
		case err != nil && ctx.Err() != nil:
			return "", "", err
		case err != nil:
			call, _, _ := strings.Cut(err.Error(), ": operation error")
			historyNote = fmt.Sprintf("the service deployment history could not be read: %s answered %s", call, awsapi.ErrorCode(err))
		case found:
			return arn, why, nil
		default:
			historyNote = "the service deployment history names no earlier successful revision"
		}
	}
	for _, dep := range svc.Deployments {
		if aws.ToString(dep.Status) != "PRIMARY" && aws.ToString(dep.TaskDefinition) != current && dep.RolloutState == types.DeploymentRolloutStateCompleted {
			return aws.ToString(dep.TaskDefinition), fmt.Sprintf("%s is the revision of the older deployment %s, which had completed (%s)", ops.ShortTaskDef(aws.ToString(dep.TaskDefinition)), aws.ToString(dep.Id), historyNote), nil
		}
	}
	revs, err := familyRevisions(ctx, d.ECS, family)
	if err != nil {
		return "", "", err
	}
	failed := d.failedRevisions(ctx, req.Cluster, svc)
	cur := revisionOf(current)
	var skipped []string
	for _, arn := range revs { // newest first
		r := revisionOf(arn)
		if r <= 0 || r >= cur {
			continue
		}
		if failed[arn] {
			skipped = append(skipped, ops.ShortTaskDef(arn))
			continue
		}
		why := fmt.Sprintf("%s is the newest earlier ACTIVE revision (%s", ops.ShortTaskDef(arn), historyNote)
		if len(skipped) > 0 {
			why += "; skipped " + strings.Join(skipped, ", ") + ", whose tasks failed recently"
		}
		return arn, why + "): check it, or name one with " + ops.Opt(ctx, "ToRevision"), nil
	}
	return "", "", ops.Inputf("no earlier ACTIVE revision of %s than %d to roll back to: name one with %s", family, cur, ops.Opt(ctx, "ToRevision"))
}

func revisionOf(arn string) int {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == ':' {
			n, err := strconv.Atoi(arn[i+1:])
			if err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}
