package deploy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// History is the ECS service deployment API, the authoritative record
// of which revisions a service ran successfully (ECS-SEMANTICS §3; the API
// lists deployments created since October 2024).
type History interface {
	ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsInput, optFns ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error)
}

// maxHistoryPages bounds the ListServiceDeployments pages read.
const maxHistoryPages = 5

// ParseRollbackTo reads --to: a revision number (44) or family:revision
// (api:44). family is "" for a bare number.
func ParseRollbackTo(ctx context.Context, s string) (family string, rev int, err error) {
	s = strings.TrimSpace(s)
	num := s
	if i := strings.LastIndex(s, ":"); i >= 0 {
		family, num = s[:i], s[i+1:]
		if family == "" || strings.ContainsAny(family, " /") {
			return "", 0, ops.Inputf("invalid %s %q: want a revision number like 44, or family:revision like api:44", ops.Opt(ctx, "ToRevision"), s)
		}
	}
	n, perr := strconv.Atoi(num)
	if perr != nil {
		return "", 0, ops.Inputf("invalid value %q for %s: want a revision number like 44, or family:revision like api:44", s, ops.Opt(ctx, "ToRevision"))
	}
	if n < 1 {
		return "", 0, ops.Inputf("invalid %s %s: want a revision number of 1 or more (leave %s out for the last successful revision)", ops.Opt(ctx, "ToRevision"), s, ops.Opt(ctx, "ToRevision"))
	}
	return family, n, nil
}

// lastSuccessfulRevision reads the service deployment history: the target
// revision of the newest SUCCESSFUL service deployment whose task
// definition is not the current one and is still ACTIVE. A deployment the
// circuit breaker rolled back is ROLLBACK_SUCCESSFUL, never SUCCESSFUL, so
// its revision is never picked. found is false when the history names none.
func (d *Deployer) lastSuccessfulRevision(ctx context.Context, cluster, service, current string) (arn, why string, found bool, err error) {
	var briefs []types.ServiceDeploymentBrief
	in := &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service),
		Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusSuccessful}}
	for pages := 0; pages < maxHistoryPages; pages++ {
		page, err := d.History.ListServiceDeployments(ctx, in)
		if err != nil {
			return "", "", false, fmt.Errorf("list service deployments %s/%s: %w", cluster, service, err)
		}
		for _, b := range page.ServiceDeployments {
			if b.Status == types.ServiceDeploymentStatusSuccessful && aws.ToString(b.TargetServiceRevisionArn) != "" {
				briefs = append(briefs, b)
			}
		}
		if aws.ToString(page.NextToken) == "" || aws.ToString(page.NextToken) == aws.ToString(in.NextToken) {
			break
		}
		in.NextToken = page.NextToken
	}
	when := func(b types.ServiceDeploymentBrief) int64 {
		for _, t := range []*time.Time{b.FinishedAt, b.StartedAt, b.CreatedAt} {
			if t != nil {
				return t.UnixMilli()
			}
		}
		return 0
	}
	sort.SliceStable(briefs, func(i, j int) bool { return when(briefs[i]) > when(briefs[j]) })
	for i := 0; i < len(briefs); i += 20 {
		batch := briefs[i:min(i+20, len(briefs))]
		arns := make([]string, len(batch))
		for j, b := range batch {
			arns[j] = aws.ToString(b.TargetServiceRevisionArn)
		}
		out, err := d.History.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: arns})
		if err != nil {
			return "", "", false, fmt.Errorf("describe service revisions of %s/%s: %w", cluster, service, err)
		}
		tdOf := map[string]string{}
		for _, r := range out.ServiceRevisions {
			tdOf[aws.ToString(r.ServiceRevisionArn)] = aws.ToString(r.TaskDefinition)
		}
		for _, b := range batch {
			td := tdOf[aws.ToString(b.TargetServiceRevisionArn)]
			if td == "" || td == current || familyOf(td) != familyOf(current) {
				continue
			}
			if !d.activeRevision(ctx, td) {
				continue
			}
			return td, fmt.Sprintf("%s is the revision of the service's last successful deployment (%s)", ops.ShortTaskDef(td), fmtx.ShortARN(aws.ToString(b.ServiceDeploymentArn))), true, nil
		}
	}
	return "", "", false, nil
}

func (d *Deployer) activeRevision(ctx context.Context, arn string) bool {
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	return err == nil && out.TaskDefinition != nil && out.TaskDefinition.Status == types.TaskDefinitionStatusActive
}

// failedRevisions lists the revisions the service's recent deployments failed
// with: FAILED deployments still listed, and tasks that stopped failing (ECS
// keeps stopped tasks for about an hour).
func (d *Deployer) failedRevisions(ctx context.Context, cluster string, svc types.Service) map[string]bool {
	failed := map[string]bool{}
	for _, dep := range svc.Deployments {
		if dep.RolloutState == types.DeploymentRolloutStateFailed {
			failed[aws.ToString(dep.TaskDefinition)] = true
		}
	}
	// Best effort: on an error, what was read before it still counts.
	arns, _ := awsapi.ListTasks(ctx, d.ECS, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: svc.ServiceName, DesiredStatus: types.DesiredStatusStopped}, maxStoppedTaskPages)
	tasks, _ := awsapi.DescribeTasks(ctx, d.ECS, cluster, arns)
	for _, t := range tasks {
		if isFailure(t) {
			failed[aws.ToString(t.TaskDefinitionArn)] = true
		}
	}
	return failed
}

// rollbackImages lists every container's image on both sides.
func rollbackImages(from, to *types.TaskDefinition) []ImageChange {
	var out []ImageChange
	seen := map[string]bool{}
	for _, c := range from.ContainerDefinitions {
		name := aws.ToString(c.Name)
		seen[name] = true
		target := containerImage(to, name)
		if target == "" {
			target = "-"
		}
		out = append(out, ImageChange{Container: name, From: aws.ToString(c.Image), To: target})
	}
	for _, c := range to.ContainerDefinitions {
		if name := aws.ToString(c.Name); !seen[name] {
			out = append(out, ImageChange{Container: name, From: "-", To: aws.ToString(c.Image)})
		}
	}
	return out
}
