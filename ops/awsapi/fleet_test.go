package awsapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// readsOnly holds only the five calls of ecsReadAPI, as ops/fleet's
// DrainECS does: NewECSReads must take it.
type readsOnly struct{ ecsReadAPI }

func TestECSReadsNeedsOnlyTheReadCalls(t *testing.T) {
	f := newFakeECS(25, "ACTIVE")
	got, err := NewECSReads(readsOnly{f}).DescribeServices(context.Background(), "prod", names("svc", 25))
	if err != nil || len(got) != 25 {
		t.Fatalf("got %d services, %v", len(got), err)
	}
	if fmt.Sprint(f.calls) != "[DescribeServices:10 DescribeServices:10 DescribeServices:5]" {
		t.Errorf("calls %v", f.calls)
	}
	// The methods moved to ECSReads are still ECS's.
	if got, err := NewECS(f).DescribeServices(context.Background(), "prod", names("svc", 3)); err != nil || len(got) != 3 {
		t.Errorf("through ECS: %d, %v", len(got), err)
	}
}

// fakeStates sets container instance states; it reports the ARNs in
// refuse as failures and fails call failAt (1-based).
type fakeStates struct {
	calls  []int
	refuse map[string]bool
	failAt int
}

func (f *fakeStates) UpdateContainerInstancesState(_ context.Context, in *ecs.UpdateContainerInstancesStateInput, _ ...func(*ecs.Options)) (*ecs.UpdateContainerInstancesStateOutput, error) {
	f.calls = append(f.calls, len(in.ContainerInstances))
	if len(in.ContainerInstances) > ContainerInstanceStatesPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many container instances"}
	}
	if len(f.calls) == f.failAt {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	}
	out := &ecs.UpdateContainerInstancesStateOutput{}
	for _, a := range in.ContainerInstances {
		if f.refuse[a] {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(a), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func TestSetContainerInstancesStateBatchesByTen(t *testing.T) {
	ctx := context.Background()
	arns := names("ci", 23)
	f := &fakeStates{refuse: map[string]bool{"ci012": true}}
	var seen []string
	err := SetContainerInstancesState(ctx, f, "prod", arns, types.ContainerInstanceStatusDraining, func(batch []string, failures []types.Failure) bool {
		seen = append(seen, fmt.Sprintf("%d/%d", len(batch), len(failures)))
		return true
	})
	if err != nil || fmt.Sprint(f.calls) != "[10 10 3]" || fmt.Sprint(seen) != "[10/0 10/1 3/0]" {
		t.Fatalf("calls %v, done %v, err %v", f.calls, seen, err)
	}
	// done stops before the next call; a refused call stops too.
	f = &fakeStates{refuse: map[string]bool{"ci012": true}}
	err = SetContainerInstancesState(ctx, f, "prod", arns, types.ContainerInstanceStatusDraining, func(_ []string, failures []types.Failure) bool { return len(failures) == 0 })
	if err != nil || fmt.Sprint(f.calls) != "[10 10]" {
		t.Errorf("stopped by done: calls %v, %v", f.calls, err)
	}
	f = &fakeStates{failAt: 2}
	err = SetContainerInstancesState(ctx, f, "prod", arns, types.ContainerInstanceStatusActive, nil)
	if ErrorCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "set container instances ACTIVE in cluster prod") || fmt.Sprint(f.calls) != "[10 10]" {
		t.Errorf("refused: calls %v, %v", f.calls, err)
	}
}

// fakeProviders knows capacity providers cp000…; it answers pageSize a
// page, as ECS's default 10.
type fakeProviders struct {
	known    int
	pageSize int
	calls    []string // names/token
}

func (f *fakeProviders) DescribeCapacityProviders(_ context.Context, in *ecs.DescribeCapacityProvidersInput, _ ...func(*ecs.Options)) (*ecs.DescribeCapacityProvidersOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("%d/%s", len(in.CapacityProviders), aws.ToString(in.NextToken)))
	if len(in.CapacityProviders) > CapacityProvidersPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many capacity providers"}
	}
	var found []string
	for _, n := range in.CapacityProviders {
		if i, err := strconv.Atoi(strings.TrimPrefix(n, "cp")); err == nil && i < f.known {
			found = append(found, n)
		}
	}
	out := &ecs.DescribeCapacityProvidersOutput{}
	page, next := fakePage(found, in.NextToken, f.pageSize)
	for _, n := range page {
		out.CapacityProviders = append(out.CapacityProviders, types.CapacityProvider{Name: aws.String(n)})
	}
	out.NextToken = next
	return out, nil
}

func TestDescribeCapacityProvidersBatchesAndPages(t *testing.T) {
	f := &fakeProviders{known: 120, pageSize: 10}
	got, err := DescribeCapacityProviders(context.Background(), f, append(names("cp", 120), "cp999"))
	if err != nil || len(got) != 120 || aws.ToString(got[119].Name) != "cp119" {
		t.Fatalf("got %d, %v", len(got), err)
	}
	// 100 names, then 21 (cp999 unknown): ten pages of ten, then two.
	if len(f.calls) != 12 || f.calls[0] != "100/" || f.calls[9] != "100/90" || f.calls[10] != "21/" || f.calls[11] != "21/10" {
		t.Errorf("calls %v", f.calls)
	}
}

// fakeFleetASG answers the instance-level Auto Scaling calls: it manages
// the instances in members, pages its lists pageSize at a time and fails
// call failAt (1-based) the way Auto Scaling refuses an instance that left.
type fakeFleetASG struct {
	members  map[string]bool
	pageSize int
	failAt   int
	calls    []string
}

func (f *fakeFleetASG) call(op string, n int) error {
	f.calls = append(f.calls, op+":"+strconv.Itoa(n))
	if len(f.calls) == f.failAt {
		return &smithy.GenericAPIError{Code: "ValidationError", Message: "The instance i-gone is not part of Auto Scaling group web."}
	}
	return nil
}

func (f *fakeFleetASG) DescribeAutoScalingInstances(_ context.Context, in *autoscaling.DescribeAutoScalingInstancesInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingInstancesOutput, error) {
	if err := f.call("DescribeAutoScalingInstances", len(in.InstanceIds)); err != nil {
		return nil, err
	}
	if len(in.InstanceIds) > GroupInstancesPerCall {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "too many instance ids"}
	}
	out := &autoscaling.DescribeAutoScalingInstancesOutput{}
	for _, id := range in.InstanceIds {
		if f.members[id] {
			out.AutoScalingInstances = append(out.AutoScalingInstances, astypes.AutoScalingInstanceDetails{InstanceId: aws.String(id), AutoScalingGroupName: aws.String("web")})
		}
	}
	return out, nil
}

func (f *fakeFleetASG) SetInstanceProtection(_ context.Context, in *autoscaling.SetInstanceProtectionInput, _ ...func(*autoscaling.Options)) (*autoscaling.SetInstanceProtectionOutput, error) {
	if err := f.call("SetInstanceProtection", len(in.InstanceIds)); err != nil {
		return nil, err
	}
	if len(in.InstanceIds) > ProtectionPerCall {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "too many instance ids"}
	}
	return &autoscaling.SetInstanceProtectionOutput{}, nil
}

// page returns the page of n items that token starts, and the next token.
func (f *fakeFleetASG) page(n int, token *string) (int, int, *string) {
	start, _ := strconv.Atoi(aws.ToString(token))
	end := min(start+f.pageSize, n)
	if end < n {
		return start, end, aws.String(strconv.Itoa(end))
	}
	return start, end, nil
}

func (f *fakeFleetASG) DescribeWarmPool(_ context.Context, in *autoscaling.DescribeWarmPoolInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeWarmPoolOutput, error) {
	if err := f.call("DescribeWarmPool", 1); err != nil {
		return nil, err
	}
	start, end, next := f.page(7, in.NextToken)
	out := &autoscaling.DescribeWarmPoolOutput{NextToken: next}
	for i := start; i < end; i++ {
		out.Instances = append(out.Instances, astypes.Instance{InstanceId: aws.String(fmt.Sprintf("i-%d", i))})
	}
	return out, nil
}

func (f *fakeFleetASG) DescribePolicies(_ context.Context, in *autoscaling.DescribePoliciesInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribePoliciesOutput, error) {
	if err := f.call("DescribePolicies", 1); err != nil {
		return nil, err
	}
	start, end, next := f.page(5, in.NextToken)
	out := &autoscaling.DescribePoliciesOutput{NextToken: next}
	for i := start; i < end; i++ {
		out.ScalingPolicies = append(out.ScalingPolicies, astypes.ScalingPolicy{PolicyName: aws.String(fmt.Sprintf("p%d", i))})
	}
	return out, nil
}

func (f *fakeFleetASG) DescribeScheduledActions(_ context.Context, in *autoscaling.DescribeScheduledActionsInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeScheduledActionsOutput, error) {
	if err := f.call("DescribeScheduledActions", 1); err != nil {
		return nil, err
	}
	start, end, next := f.page(3, in.NextToken)
	out := &autoscaling.DescribeScheduledActionsOutput{NextToken: next}
	for i := start; i < end; i++ {
		out.ScheduledUpdateGroupActions = append(out.ScheduledUpdateGroupActions, astypes.ScheduledUpdateGroupAction{ScheduledActionName: aws.String(fmt.Sprintf("a%d", i))})
	}
	return out, nil
}

func TestGroupInstancesBatchesByFiftyAndIgnoresStrangers(t *testing.T) {
	ids := names("i-", 120)
	f := &fakeFleetASG{members: map[string]bool{}}
	for _, id := range ids[:110] {
		f.members[id] = true
	}
	got, err := GroupInstances(context.Background(), f, ids)
	if err != nil || len(got) != 110 {
		t.Fatalf("got %d, %v", len(got), err)
	}
	if fmt.Sprint(f.calls) != "[DescribeAutoScalingInstances:50 DescribeAutoScalingInstances:50 DescribeAutoScalingInstances:20]" {
		t.Errorf("calls %v", f.calls)
	}
}

func TestSetInstanceProtectionBatchesByFiftyAndStopsAtARefusal(t *testing.T) {
	ids := names("i-", 120)
	f := &fakeFleetASG{}
	var done []int
	if err := SetInstanceProtection(context.Background(), f, "web", ids, true, func(b []string) { done = append(done, len(b)) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(done) != "[50 50 20]" || len(f.calls) != 3 {
		t.Errorf("done %v, calls %v", done, f.calls)
	}
	f, done = &fakeFleetASG{failAt: 2}, nil
	err := SetInstanceProtection(context.Background(), f, "web", ids, false, func(b []string) { done = append(done, len(b)) })
	// Returned as Auto Scaling said it: callers read the message.
	if err == nil || !strings.Contains(err.Error(), "is not part of Auto Scaling group") || fmt.Sprint(done) != "[50]" || len(f.calls) != 2 {
		t.Errorf("refusal: %v, done %v, calls %v", err, done, f.calls)
	}
}

func TestGroupListsFollowEveryPage(t *testing.T) {
	ctx := context.Background()
	f := &fakeFleetASG{pageSize: 2}
	pool, err := WarmPoolInstances(ctx, f, "web")
	if err != nil || len(pool) != 7 {
		t.Errorf("warm pool: %d, %v", len(pool), err)
	}
	pols, err := ScalingPolicies(ctx, f, "web")
	if err != nil || len(pols) != 5 {
		t.Errorf("policies: %d, %v", len(pols), err)
	}
	acts, err := ScheduledActions(ctx, f, "web")
	if err != nil || len(acts) != 3 {
		t.Errorf("scheduled actions: %d, %v", len(acts), err)
	}
	if len(f.calls) != 4+3+2 {
		t.Errorf("calls %v, want 4 + 3 + 2 pages", f.calls)
	}
	f = &fakeFleetASG{pageSize: 2, failAt: 2}
	if _, err := WarmPoolInstances(ctx, f, "web"); err == nil || !strings.Contains(err.Error(), "describe warm pool of web") {
		t.Errorf("a failed page: %v", err)
	}
}

// fakeTags records CreateTags and DeleteTags calls and fails call failAt.
type fakeTags struct {
	calls  []string
	failAt int
}

func (f *fakeTags) call(op string, in []string) error {
	f.calls = append(f.calls, op+":"+strconv.Itoa(len(in)))
	if len(in) > 1000 {
		return &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "too many resources"}
	}
	if len(f.calls) == f.failAt {
		return &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "no"}
	}
	return nil
}

func (f *fakeTags) CreateTags(_ context.Context, in *ec2.CreateTagsInput, _ ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	return &ec2.CreateTagsOutput{}, f.call("CreateTags", in.Resources)
}

func (f *fakeTags) DeleteTags(_ context.Context, in *ec2.DeleteTagsInput, _ ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error) {
	return &ec2.DeleteTagsOutput{}, f.call("DeleteTags", in.Resources)
}

func TestTagsBatchByFiveHundred(t *testing.T) {
	ctx := context.Background()
	ids := names("i-", 1200)
	tag := []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	f := &fakeTags{}
	if err := CreateTags(ctx, f, ids, tag); err != nil {
		t.Fatal(err)
	}
	if err := DeleteTags(ctx, f, ids[:10], tag); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.calls) != "[CreateTags:500 CreateTags:500 CreateTags:200 DeleteTags:10]" {
		t.Errorf("calls %v", f.calls)
	}
	f = &fakeTags{failAt: 2}
	err := CreateTags(ctx, f, ids, tag)
	if ErrorCode(err) != "UnauthorizedOperation" || !strings.Contains(err.Error(), "create tags on "+ids[500]) || len(f.calls) != 2 {
		t.Errorf("refused: %v, calls %v", err, f.calls)
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		t.Errorf("a refusal is not a not-found: %v", err)
	}
}
