package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"ecsctl/ops"
)

// fakeHistory is the service deployment API: deployments (newest last) and
// the task definition of each service revision.
type fakeHistory struct {
	deps  []types.ServiceDeploymentBrief
	revTD map[string]string
	err   error
	pages int
}

func (f *fakeHistory) ListServiceDeployments(_ context.Context, in *ecs.ListServiceDeploymentsInput, _ ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	f.pages++
	if f.err != nil {
		return nil, f.err
	}
	// Two per page, to follow nextToken; the status filter is left to the
	// caller's own check too.
	start := 0
	if in.NextToken != nil {
		start = int(aws.ToString(in.NextToken)[0] - '0')
	}
	end := min(start+2, len(f.deps))
	out := &ecs.ListServiceDeploymentsOutput{ServiceDeployments: f.deps[start:end]}
	if end < len(f.deps) {
		out.NextToken = aws.String(string(rune('0' + end)))
	}
	return out, nil
}

func (f *fakeHistory) DescribeServiceRevisions(_ context.Context, in *ecs.DescribeServiceRevisionsInput, _ ...func(*ecs.Options)) (*ecs.DescribeServiceRevisionsOutput, error) {
	out := &ecs.DescribeServiceRevisionsOutput{}
	for _, arn := range in.ServiceRevisionArns {
		out.ServiceRevisions = append(out.ServiceRevisions, types.ServiceRevision{ServiceRevisionArn: aws.String(arn), TaskDefinition: aws.String(f.revTD[arn])})
	}
	return out, nil
}

func tdArn(rev string) string { return "arn:aws:ecs:us-east-1:123456789012:task-definition/api:" + rev }

func historyDep(id string, status types.ServiceDeploymentStatus, rev string, finished int) types.ServiceDeploymentBrief {
	return types.ServiceDeploymentBrief{ServiceDeploymentArn: aws.String("arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/" + id),
		Status: status, TargetServiceRevisionArn: aws.String("rev-" + rev), FinishedAt: aws.Time(time.Date(2026, 11, finished, 0, 0, 0, 0, time.UTC))}
}

func TestRollbackTargetFromDeploymentHistory(t *testing.T) {
	h := &fakeHistory{
		deps: []types.ServiceDeploymentBrief{
			historyDep("d45", types.ServiceDeploymentStatusSuccessful, "45", 20),
			historyDep("d44", types.ServiceDeploymentStatusRollbackSuccessful, "44", 15), // the breaker rolled it back
			historyDep("d43", types.ServiceDeploymentStatusSuccessful, "43", 10),
			historyDep("d42", types.ServiceDeploymentStatusSuccessful, "42", 5),
		},
		revTD: map[string]string{"rev-45": tdArn("45"), "rev-44": tdArn("44"), "rev-43": tdArn("43"), "rev-42": tdArn("42")},
	}
	f := &fakeECS{describeTaskDef: func(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: in.TaskDefinition, Status: types.TaskDefinitionStatusActive}}, nil
	}}
	d := &Deployer{ECS: f, History: h, Clock: newFakeClock()}
	svc := types.Service{ServiceName: aws.String("api")}
	got, why, err := d.rollbackTarget(context.Background(), RollbackRequest{Cluster: "prod", Service: "api"}, svc, tdArn("45"), "api")
	if err != nil || got != tdArn("43") || !strings.Contains(why, "last successful deployment (d43)") {
		t.Fatalf("target %s (%q), %v; want api:43", got, why, err)
	}
	if h.pages != 2 {
		t.Errorf("read %d pages of the history, want 2", h.pages)
	}
	if f.n("ListTaskDefinitions") != 0 {
		t.Errorf("fell back to revision numbers with a history at hand")
	}
}

func TestRollbackTargetWithoutHistorySkipsFailedRevisions(t *testing.T) {
	h := &fakeHistory{err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}}
	f := &fakeECS{
		listTaskDefs: func(in *ecs.ListTaskDefinitionsInput) (*ecs.ListTaskDefinitionsOutput, error) {
			return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: []string{tdArn("45"), tdArn("44"), tdArn("43")}}, nil
		},
		listTasks: func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			return &ecs.ListTasksOutput{TaskArns: []string{"arn:aws:ecs:us-east-1:123456789012:task/prod/t1"}}, nil
		},
		describeTasks: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			return &ecs.DescribeTasksOutput{Tasks: []types.Task{{TaskArn: aws.String(in.Tasks[0]), TaskDefinitionArn: aws.String(tdArn("44")),
				LastStatus: aws.String("STOPPED"), StopCode: types.TaskStopCodeEssentialContainerExited}}}, nil
		},
	}
	d := &Deployer{ECS: f, History: h, Clock: newFakeClock()}
	got, why, err := d.rollbackTarget(context.Background(), RollbackRequest{Cluster: "prod", Service: "api"}, types.Service{ServiceName: aws.String("api")}, tdArn("45"), "api")
	if err != nil || got != tdArn("43") {
		t.Fatalf("target %s, %v; want api:43", got, err)
	}
	for _, want := range []string{"AccessDeniedException", "skipped api:44"} {
		if !strings.Contains(why, want) {
			t.Errorf("why %q lacks %q", why, want)
		}
	}
}

func TestParseRollbackTo(t *testing.T) {
	for _, c := range []struct {
		in, family string
		rev        int
		bad        bool
	}{
		{"44", "", 44, false}, {"api:44", "api", 44, false}, {" api:7 ", "api", 7, false},
		{"0", "", 0, true}, {"-3", "", 0, true}, {"abc", "", 0, true}, {":4", "", 0, true}, {"api:x", "", 0, true}, {"a/b:4", "", 0, true},
	} {
		family, rev, err := ParseRollbackTo(context.Background(), c.in)
		var in *ops.InputError
		if c.bad != (err != nil) || (err != nil && !errors.As(err, &in)) || (!c.bad && (family != c.family || rev != c.rev)) {
			t.Errorf("ParseRollbackTo(%q) = %q %d %v", c.in, family, rev, err)
		}
	}
}
