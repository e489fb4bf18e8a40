package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
)

// What a re-run of a deploy finds when an earlier run was killed (the
// state lives in ECS only): a revision registered but never deployed, or
// its failed deployment being rolled back.

// resumeRegisteredRevision returns the family's newest ACTIVE revision when an
// earlier run registered exactly this content after the live revision (it
// was killed before updating the service, or its deployment failed), so
// that a re-run deploys it instead of registering another copy.
func (d *Deployer) resumeRegisteredRevision(ctx context.Context, p *plan) (string, bool) {
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: p.input.Family, Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil || out.TaskDefinition == nil || out.TaskDefinition.Revision <= p.current.Revision {
		return "", false // best effort: registering a new revision is always right
	}
	if TaskDefDiff(RegisterInputFrom(out.TaskDefinition, out.Tags), p.input) != "" {
		return "", false
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), true
}

// resumeFollowRollback follows the deployment in progress as the rollback of
// this deploy: the service is going back to the live revision from the
// newer one this deploy registered earlier (its earlier run failed and
// ecsctl or the circuit breaker is rolling it back). The verdict is the
// rollback's: rolled back (exit 1), or rollback failed.
func (d *Deployer) resumeFollowRollback(req Request, p *plan) *watch {
	r, primary := p.res, ops.PrimaryDeployment(p.svc)
	r.NewTaskDefinition = p.rollingBack
	by, ph := "ecsctl", phaseRollback
	if strings.Contains(aws.ToString(primary.RolloutStateReason), "circuit breaker") {
		by, ph = "circuit-breaker", phaseBreakerRollback
	}
	r.Reason = fmt.Sprintf("%s, registered for this deploy by an earlier run, is being rolled back (by %s)", ops.ShortTaskDef(r.NewTaskDefinition), by)
	r.Rollback = &RollbackInfo{By: by, TaskDefinition: aws.ToString(primary.TaskDefinition), DeploymentID: aws.ToString(primary.Id)}
	d.emit(ops.Event{Cluster: r.Cluster, Service: r.Service, Kind: ops.EventRollback,
		Message: fmt.Sprintf("%s; following the rollback to %s in %s", r.Reason, ops.ShortTaskDef(r.Rollback.TaskDefinition), r.Rollback.DeploymentID)})
	return d.newWatch(req, r, p.svc, r.Rollback.DeploymentID, r.Rollback.TaskDefinition, ph)
}
