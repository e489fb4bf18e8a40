package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// familyOf returns the family of a task definition ARN or family:revision.
func familyOf(arn string) string {
	s := fmtx.ShortARN(arn)
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[:i]
	}
	return s
}

// familyRevisions lists the ACTIVE revisions of exactly this family, newest
// first (ListTaskDefinitions' familyPrefix also matches longer families).
func familyRevisions(ctx context.Context, api ECS, family string) ([]string, error) {
	arns, err := awsapi.ListTaskDefinitions(ctx, api, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, arn := range arns {
		if familyOf(arn) == family {
			out = append(out, arn)
		}
	}
	return out, nil
}

// taskDefinitionsInUse collects every task definition a service (any of its
// deployments) or a task in any cluster of the account uses, for family.
func taskDefinitionsInUse(ctx context.Context, api ECS, family string) (map[string]bool, error) {
	inUse := map[string]bool{}
	clusters, err := awsapi.ListClusters(ctx, api)
	if err != nil {
		return nil, err
	}
	for _, cluster := range clusters {
		arns, err := awsapi.ListServices(ctx, api, cluster)
		if err != nil {
			return nil, err
		}
		// A service deleted since the list is left out: it uses nothing.
		services, err := awsapi.DescribeServices(ctx, api, cluster, arns)
		if err != nil {
			return nil, err
		}
		for _, s := range services {
			inUse[aws.ToString(s.TaskDefinition)] = true
			for _, dep := range s.Deployments {
				inUse[aws.ToString(dep.TaskDefinition)] = true
			}
		}
		for _, status := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusPending} {
			arns, err := awsapi.ListTasks(ctx, api, &ecs.ListTasksInput{Cluster: aws.String(cluster), Family: aws.String(family), DesiredStatus: status}, 0)
			if err != nil {
				return nil, err
			}
			tasks, err := awsapi.DescribeTasks(ctx, api, cluster, arns)
			if err != nil {
				return nil, err
			}
			for _, t := range tasks {
				inUse[aws.ToString(t.TaskDefinitionArn)] = true
			}
		}
	}
	return inUse, nil
}

// pruneCandidates lists, newest first, the ACTIVE revisions of family that
// pruning to the newest keep would deregister: never one a service (any of
// its deployments) or a task in any cluster of the account uses, nor those
// in keepAlso. willRegister counts a revision not registered yet (a dry
// run's) among the newest keep. What it cannot see is in README (pruning).
func pruneCandidates(ctx context.Context, api ECS, family string, keep int, willRegister bool, keepAlso ...string) ([]string, error) {
	revs, err := familyRevisions(ctx, api, family)
	if err != nil {
		return nil, err
	}
	if willRegister {
		keep--
	}
	if keep < 0 || len(revs) <= keep {
		return nil, nil
	}
	inUse, err := taskDefinitionsInUse(ctx, api, family)
	if err != nil {
		return nil, err
	}
	for _, arn := range keepAlso {
		inUse[arn] = true
	}
	var out []string
	for _, arn := range revs[keep:] {
		if !inUse[arn] {
			out = append(out, arn)
		}
	}
	return out, nil
}

// pruneRevisions deregisters ACTIVE revisions of family beyond the newest
// keep, skipping every revision a service or running task still uses. It
// runs only when the user asked for it (--keep-revisions): an INACTIVE
// revision cannot start new tasks, so whatever else names it breaks.
func (d *Deployer) pruneRevisions(ctx context.Context, r *ServiceResult, family string, keep int) ([]string, error) {
	// The way back (the revision it came from) stays registered.
	refs, err := d.referenced(ctx, family)
	if err != nil {
		return nil, err
	}
	arns, err := pruneCandidates(ctx, d.ECS, family, keep, false, append([]string{r.NewTaskDefinition, r.OldTaskDefinition}, refs...)...)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, arn := range arns {
		if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
			return done, fmt.Errorf("deregister task definition %s: %w", ops.ShortTaskDef(arn), err)
		}
		done = append(done, ops.ShortTaskDef(arn))
	}
	if len(done) > 0 {
		d.note(r, ops.EventInfo, "deregistered %d old revision(s) of %s beyond the newest %d: %s", len(done), family, keep, strings.Join(done, ", "))
	}
	return done, nil
}

// referenced is d.Referenced, or none.
func (d *Deployer) referenced(ctx context.Context, family string) ([]string, error) {
	if d.Referenced == nil {
		return nil, nil
	}
	refs, err := d.Referenced(ctx, family)
	if err != nil {
		return nil, fmt.Errorf("revisions of %s that schedules and rules name: %w", family, err)
	}
	return refs, nil
}
