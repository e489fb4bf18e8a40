package ops

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// RollbackRequest is what `ecsctl rollback` asks for.
type RollbackRequest struct {
	Cluster string
	Service string
	// ToRevision is the revision of the service's family to go back to;
	// 0 means the previous one.
	ToRevision int
	Timeout    time.Duration
	NoWait     bool
	DryRun     bool
}

// Rollback puts a service back on an earlier revision and follows that
// deployment like a deploy (without rolling back the rollback).
func (d *Deployer) Rollback(ctx context.Context, req RollbackRequest) (*DeployResult, error) {
	if err := ValidateRollbackRequest(req); err != nil {
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
	if p := primaryDeployment(svc); p != nil {
		current = aws.ToString(p.TaskDefinition)
	}
	family := familyOf(current)
	target, err := d.rollbackTarget(ctx, svc.Deployments, current, family, req.ToRevision)
	if err != nil {
		return nil, err
	}
	res := &ServiceResult{Cluster: req.Cluster, Service: req.Service, OldTaskDefinition: current, NewTaskDefinition: target, StartedAt: d.clock().Now(), Desired: svc.DesiredCount, Running: svc.RunningCount}
	result := &DeployResult{Services: []*ServiceResult{res}}
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
	dep := primaryDeployment(*upd.Service)
	if dep == nil {
		return nil, fmt.Errorf("update service %s/%s: no PRIMARY deployment in the answer", req.Cluster, req.Service)
	}
	res.DeploymentID = aws.ToString(dep.Id)
	d.note(res, EventInfo, "rolling back from %s to %s: deployment %s", shortTaskDef(current), shortTaskDef(target), res.DeploymentID)
	if req.NoWait {
		res.Outcome = OutcomeNotWaited
		res.FinishedAt = d.clock().Now()
		return result, nil
	}
	dreq := DeployRequest{Cluster: req.Cluster, Timeout: req.Timeout, NoRollback: true}
	w := d.newWatch(dreq, res, *upd.Service, res.DeploymentID, target, phaseDeploy)
	w.noRollback = true
	d.follow(ctx, dreq, []*watch{w})
	res.DurationSeconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
	if res.Outcome == OutcomeFailed {
		res.Reason = trimNoRollbackSuffix(res.Reason)
	}
	return result, result.Err()
}

func trimNoRollbackSuffix(s string) string {
	const suffix = " — not rolled back (--no-rollback)"
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)]
	}
	return s
}

// ValidateRollbackRequest checks a rollback request before any AWS call.
func ValidateRollbackRequest(req RollbackRequest) error {
	if req.Cluster == "" {
		return Inputf("missing --cluster: name the ECS cluster (or set ECSCTL_CLUSTER)")
	}
	if req.Service == "" {
		return Inputf("missing --service: name the service to roll back")
	}
	if req.ToRevision < 0 {
		return Inputf("invalid --to %d: want a revision number of the service's family", req.ToRevision)
	}
	if req.Timeout <= 0 {
		return Inputf("invalid --timeout %s: want a positive duration like 15m", req.Timeout)
	}
	return nil
}

// rollbackTarget picks the revision to go back to: the named one, else the
// revision an older deployment still runs, else the newest ACTIVE revision
// below the current one.
func (d *Deployer) rollbackTarget(ctx context.Context, deps []types.Deployment, current, family string, to int) (string, error) {
	if to > 0 {
		name := family + ":" + strconv.Itoa(to)
		out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(name)})
		if err != nil {
			if code := errCode(err); code == "ClientException" || code == "InvalidParameterException" {
				return "", Inputf("task definition %s does not exist: check --to (list them with 'aws ecs list-task-definitions --family-prefix %s')", name, family)
			}
			return "", fmt.Errorf("describe task definition %s: %w", name, err)
		}
		if aws.ToString(out.TaskDefinition.TaskDefinitionArn) == current {
			return "", Inputf("the service already runs %s: nothing to roll back to", name)
		}
		return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
	}
	for _, dep := range deps {
		if aws.ToString(dep.Status) != "PRIMARY" && aws.ToString(dep.TaskDefinition) != current {
			return aws.ToString(dep.TaskDefinition), nil
		}
	}
	revs, err := familyRevisions(ctx, d.ECS, family)
	if err != nil {
		return "", err
	}
	cur := revisionOf(current)
	for _, arn := range revs { // newest first
		if r := revisionOf(arn); r > 0 && r < cur {
			return arn, nil
		}
	}
	return "", Inputf("no earlier ACTIVE revision of %s than %d to roll back to: name one with --to", family, cur)
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
