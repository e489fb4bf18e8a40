package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// familyOf returns the family of a task definition ARN or family:revision.
func familyOf(arn string) string {
	s := arn
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[:i]
	}
	return s
}

// familyRevisions lists the ACTIVE revisions of exactly this family, newest
// first (ListTaskDefinitions' familyPrefix also matches longer families).
func familyRevisions(ctx context.Context, api DeployECS, family string) ([]string, error) {
	var out []string
	p := ecs.NewListTaskDefinitionsPaginator(api, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list task definitions %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			if familyOf(arn) == family {
				out = append(out, arn)
			}
		}
	}
	return out, nil
}

// taskDefinitionsInUse collects every task definition a service (any of its
// deployments) or a task in any cluster of the account uses, for family.
func taskDefinitionsInUse(ctx context.Context, api DeployECS, family string) (map[string]bool, error) {
	inUse := map[string]bool{}
	cp := ecs.NewListClustersPaginator(api, &ecs.ListClustersInput{})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		for _, cluster := range page.ClusterArns {
			sp := ecs.NewListServicesPaginator(api, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
			for sp.HasMorePages() {
				sPage, err := sp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list services %s: %w", cluster, err)
				}
				for i := 0; i < len(sPage.ServiceArns); i += 10 {
					out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: sPage.ServiceArns[i:min(i+10, len(sPage.ServiceArns))]})
					if err != nil {
						return nil, fmt.Errorf("describe services %s: %w", cluster, err)
					}
					for _, s := range out.Services {
						inUse[aws.ToString(s.TaskDefinition)] = true
						for _, dep := range s.Deployments {
							inUse[aws.ToString(dep.TaskDefinition)] = true
						}
					}
				}
			}
			for _, status := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusPending} {
				tp := ecs.NewListTasksPaginator(api, &ecs.ListTasksInput{Cluster: aws.String(cluster), Family: aws.String(family), DesiredStatus: status})
				for tp.HasMorePages() {
					tPage, err := tp.NextPage(ctx)
					if err != nil {
						return nil, fmt.Errorf("list tasks %s family %s: %w", cluster, family, err)
					}
					for i := 0; i < len(tPage.TaskArns); i += 100 {
						out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: tPage.TaskArns[i:min(i+100, len(tPage.TaskArns))]})
						if err != nil {
							return nil, fmt.Errorf("describe tasks %s: %w", cluster, err)
						}
						for _, t := range out.Tasks {
							inUse[aws.ToString(t.TaskDefinitionArn)] = true
						}
					}
				}
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
func pruneCandidates(ctx context.Context, api DeployECS, family string, keep int, willRegister bool, keepAlso ...string) ([]string, error) {
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
			return done, fmt.Errorf("deregister task definition %s: %w", shortTaskDef(arn), err)
		}
		done = append(done, shortTaskDef(arn))
	}
	if len(done) > 0 {
		d.note(r, EventInfo, "deregistered %d old revision(s) of %s beyond the newest %d: %s", len(done), family, keep, strings.Join(done, ", "))
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
