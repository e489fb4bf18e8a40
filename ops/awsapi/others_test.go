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
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// fakeEC2 knows the instances in known; it answers with one reservation
// per instance, pageSize reservations a page, and fails a call that names
// an unknown id the way EC2 does.
type fakeEC2 struct {
	known    map[string]bool
	pageSize int
	calls    []int // ids per call
}

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.calls = append(f.calls, len(in.InstanceIds))
	var missing []string
	for _, id := range in.InstanceIds {
		if !f.known[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Message: "The instance IDs '" + strings.Join(missing, ", ") + "' do not exist"}
	}
	out := &ec2.DescribeInstancesOutput{}
	page, next := fakePage(in.InstanceIds, in.NextToken, f.pageSize)
	for _, id := range page {
		out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{{InstanceId: aws.String(id)}}})
	}
	out.NextToken = next
	return out, nil
}

func TestDescribeInstancesBatchesAndPages(t *testing.T) {
	ids := names("i-", 230)
	f := &fakeEC2{known: map[string]bool{}, pageSize: 60}
	for _, id := range ids {
		f.known[id] = true
	}
	got, err := NewEC2(f).DescribeInstances(context.Background(), ids)
	if err != nil || len(got) != 230 {
		t.Fatalf("got %d, %v", len(got), err)
	}
	// 100 ids a call: two pages of 60+40 for each of the first two, one of 30.
	if fmt.Sprint(f.calls) != "[100 100 100 100 30]" {
		t.Errorf("calls %v", f.calls)
	}
	_, err = NewEC2(f).DescribeInstances(context.Background(), []string{ids[0], "i-gone1", "i-gone2"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "instance" || nf.Name != "i-gone1, i-gone2" {
		t.Fatalf("error %v, want instance i-gone1, i-gone2 not found", err)
	}
}

// fakeASG holds groups; it answers names it knows (and ignores the
// others, as Auto Scaling does), pageSize a page.
type fakeASG struct {
	groups   []string
	pageSize int
	calls    []int
}

func (f *fakeASG) DescribeAutoScalingGroups(_ context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	f.calls = append(f.calls, len(in.AutoScalingGroupNames))
	if len(in.AutoScalingGroupNames) > GroupsPerCall {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "too many names"}
	}
	var match []string
	for _, g := range f.groups {
		if len(in.AutoScalingGroupNames) == 0 || strings.Contains(","+strings.Join(in.AutoScalingGroupNames, ",")+",", ","+g+",") {
			match = append(match, g)
		}
	}
	out := &autoscaling.DescribeAutoScalingGroupsOutput{}
	page, next := fakePage(match, in.NextToken, f.pageSize)
	for _, g := range page {
		out.AutoScalingGroups = append(out.AutoScalingGroups, astypes.AutoScalingGroup{AutoScalingGroupName: aws.String(g)})
	}
	out.NextToken = next
	return out, nil
}

func TestAutoScalingGroups(t *testing.T) {
	f := &fakeASG{groups: names("asg", 120), pageSize: 50}
	all, err := NewAutoScaling(f).AllGroups(context.Background())
	if err != nil || len(all) != 120 || fmt.Sprint(f.calls) != "[0 0 0]" {
		t.Fatalf("AllGroups: %d, %v, calls %v", len(all), err, f.calls)
	}
	f.calls = nil
	want := []string{"asg119", "asg000"}
	want = append(want, names("asg", 60)[1:]...)
	got, err := NewAutoScaling(f).Groups(context.Background(), want)
	if err != nil || len(got) != len(want) || aws.ToString(got[0].AutoScalingGroupName) != "asg119" {
		t.Fatalf("Groups: %d, %v", len(got), err)
	}
	if fmt.Sprint(f.calls) != "[50 11]" {
		t.Errorf("calls %v, want 50 names then 11", f.calls)
	}
	_, err = NewAutoScaling(f).Groups(context.Background(), []string{"asg001", "nope"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "auto scaling group" || nf.Name != "nope" {
		t.Fatalf("error %v, want auto scaling group nope not found", err)
	}
}

// fakeELB knows one target group with two targets.
type fakeELB struct{ calls int }

const testTG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/abc"

func (f *fakeELB) DescribeTargetHealth(_ context.Context, in *elb.DescribeTargetHealthInput, _ ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	f.calls++
	if aws.ToString(in.TargetGroupArn) != testTG {
		return nil, &elbtypes.TargetGroupNotFoundException{Message: aws.String("One or more target groups not found")}
	}
	return &elb.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbtypes.TargetHealthDescription{
		{Target: &elbtypes.TargetDescription{Id: aws.String("10.0.0.1")}, TargetHealth: &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumHealthy}},
		{Target: &elbtypes.TargetDescription{Id: aws.String("10.0.0.2")}, TargetHealth: &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumDraining}},
	}}, nil
}

func TestTargetHealth(t *testing.T) {
	f := &fakeELB{}
	got, err := NewELB(f).TargetHealth(context.Background(), testTG)
	if err != nil || len(got) != 2 || f.calls != 1 {
		t.Fatalf("got %d, %v after %d calls", len(got), err, f.calls)
	}
	_, err = NewELB(f).TargetHealth(context.Background(), testTG+"x")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "target group" || nf.Name != testTG+"x" {
		t.Fatalf("error %v, want target group not found", err)
	}
}

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		{fmt.Errorf("describe: %w", errors.New("connection reset by peer")), true},
	} {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestMessage(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}, "not authorized"},
		{fmt.Errorf("describe: %w", &smithy.GenericAPIError{Code: "X"}), "describe: api error X:"},
		{errors.New("dial tcp:\n  refused"), "dial tcp:\n  refused"},
	} {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("Message(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// fakePage is one page of items for a fake List or Describe call: the
// token is the offset of the page, next is nil on the last page.
func fakePage[T any](items []T, token *string, size int) (page []T, next *string) {
	start, _ := strconv.Atoi(aws.ToString(token))
	end := min(start+size, len(items))
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next
}
