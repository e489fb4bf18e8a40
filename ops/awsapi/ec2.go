package awsapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// InstancesPerCall bounds the instance ids of one DescribeInstances call.
// DescribeInstancesInput.InstanceIds documents no maximum (service/ec2
// v1.344); its sibling DescribeInstanceStatus documents "Maximum 100
// explicitly specified instance IDs", and 100 keeps each request small.
const InstancesPerCall = 100

// ec2API is the part of the EC2 client the access layer calls.
type ec2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// EC2 reads EC2 in batches and pages.
type EC2 struct{ api ec2API }

// NewEC2 wraps an EC2 client (an *ec2.Client, or a test's fake).
func NewEC2(api ec2API) *EC2 { return &EC2{api: api} }

// DescribeInstances describes instances, InstancesPerCall ids a call, every
// page of each. EC2 fails a whole call that names an id it does not know
// (InvalidInstanceID.NotFound, "If you specify an instance ID that is not
// valid, an error is returned": DescribeInstances in the EC2 API
// reference); that is a *NotFoundError naming the ids EC2's message quotes. Recently terminated instances are still
// described (for up to about an hour). On an error the instances of the
// calls that succeeded come back with it.
func (c *EC2) DescribeInstances(ctx context.Context, ids []string) ([]types.Instance, error) {
	var out []types.Instance
	for _, batch := range chunks(ids, InstancesPerCall) {
		p := ec2.NewDescribeInstancesPaginator(c.api, &ec2.DescribeInstancesInput{InstanceIds: batch})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if ErrorCode(err) == "InvalidInstanceID.NotFound" {
					return out, NotFound(ctx, "instance", missingIDs(err, batch))
				}
				return out, fmt.Errorf("describe instances %s…: %w", batch[0], err)
			}
			for _, r := range page.Reservations {
				out = append(out, r.Instances...)
			}
		}
	}
	return out, nil
}

// missingIDs reads the ids out of EC2's not-found message ("The instance
// ID 'i-0abc' does not exist", "The instance IDs 'i-1, i-2' do not
// exist"), or falls back to the call's ids.
func missingIDs(err error, batch []string) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		if i := strings.Index(msg, "'"); i >= 0 {
			if j := strings.Index(msg[i+1:], "'"); j > 0 {
				return msg[i+1 : i+1+j]
			}
		}
	}
	return strings.Join(batch, ",")
}
