package sim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The deny fault answers in each protocol's own form, with the code and
// status the SDKs see from IAM refusals on AWS.
func TestDenyFaultPerProtocol(t *testing.T) {
	s := New(Options{ManualClock: true, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	t.Cleanup(srv.Close)
	c := newClients(srv.URL, 1)
	f, err := ParseFaults("ecr.DescribeImages:deny=1,ec2:deny=1,asg.DescribeAutoScalingGroups:deny=1,ecs.UpdateService:deny=1")
	if err != nil {
		t.Fatal(err)
	}
	s.SetFaults(f)
	ctx := context.Background()
	check := func(name string, err error, code string, status int, msg ...string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("%s: got %v, want %s", name, err, code)
		}
		var re *smithyhttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != status {
			t.Errorf("%s: status %v, want %d", name, err, status)
		}
		for _, m := range msg {
			if !strings.Contains(ae.ErrorMessage(), m) {
				t.Errorf("%s: message %q lacks %q", name, ae.ErrorMessage(), m)
			}
		}
	}
	_, err = c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: aws.String("210987654321"), RepositoryName: aws.String("shared/base")})
	check("ecr", err, "AccessDeniedException", 400, "is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:210987654321:repository/shared/base because no identity-based policy allows the ecr:DescribeImages action")
	_, err = c.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api")})
	check("ecs", err, "AccessDeniedException", 400, "ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/prod/api")
	_, err = c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	check("ec2", err, "UnauthorizedOperation", 403, "You are not authorized to perform this operation.", "ec2:DescribeInstances")
	_, err = c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	check("autoscaling", err, "AccessDenied", 403, "autoscaling:DescribeAutoScalingGroups")
	// Other operations are not touched.
	if _, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{}); err != nil {
		t.Fatalf("DescribeRepositories: %v", err)
	}
	// Set live, as `ecsctl sandbox` users do.
	resp, err := http.Post(srv.URL+"/_sandbox/faults", "application/json", strings.NewReader(`{"spec":"ecs.ListClusters:deny=1"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /_sandbox/faults: %v %v", err, resp)
	}
	resp.Body.Close()
	_, err = c.ecs.ListClusters(ctx, &ecs.ListClustersInput{})
	check("live", err, "AccessDeniedException", 400, "ecs:ListClusters on resource: *")
	if _, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("x")}); errors.As(err, new(smithy.APIError)) && strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("the live spec replaced the old one, yet DescribeImages is still denied: %v", err)
	}
	var denied int
	for _, r := range s.Requests() {
		if r.Fault == "deny" {
			denied++
		}
	}
	if denied != 5 {
		t.Errorf("request log has %d denied calls, want 5", denied)
	}
}
