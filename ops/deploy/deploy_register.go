package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go/middleware"

	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// keepFirstRegistration undoes the duplicate revisions a retried
// RegisterTaskDefinition leaves. RegisterTaskDefinition has no client token:
// when an attempt's answer is lost after ECS did the work (a connection reset,
// a timeout, a 5xx sent late) the SDK's retry registers the same definition
// again, and the deploy would run a revision one higher than it should with an
// identical orphan below it. So, only when an earlier attempt failed with
// anything but throttling, it looks at the revisions just below the one it
// got: those identical to what it registered (never the live one it came
// from) are the lost attempts; it keeps the oldest of them and deregisters
// the later copies. It returns the ARN to deploy. Any error leaves the
// registration as it is (an extra revision costs nothing).
func (d *Deployer) keepFirstRegistration(ctx context.Context, out *ecs.RegisterTaskDefinitionOutput, in *ecs.RegisterTaskDefinitionInput, live string, r *ServiceResult) string {
	got := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	if !deployAnswerMayBeLost(out.ResultMetadata) {
		return got
	}
	base, ok := strings.CutSuffix(got, fmt.Sprintf(":%d", out.TaskDefinition.Revision))
	if !ok {
		return got
	}
	keep := got
	var copies []string
	for rev := out.TaskDefinition.Revision - 1; rev >= 1 && len(copies) < 10; rev-- {
		arn := fmt.Sprintf("%s:%d", base, rev)
		if arn == live {
			break
		}
		prev, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
		if err != nil || prev.TaskDefinition.Status != types.TaskDefinitionStatusActive ||
			TaskDefDiff(RegisterInputFrom(prev.TaskDefinition, prev.Tags), in) != "" {
			break
		}
		copies = append(copies, keep)
		keep = arn
	}
	if len(copies) > 0 {
		// Copies are this run's own, seconds old; still, never deregister
		// one that something already uses.
		inUse, err := taskDefinitionsInUse(ctx, d.ECS, aws.ToString(in.Family))
		if err != nil {
			d.note(r, ops.EventNote, "register task definition was retried and left copies %s of %s; not deregistered: %v", deployShortList(copies), ops.ShortTaskDef(keep), err)
			return keep
		}
		copies = slices.DeleteFunc(copies, func(arn string) bool { return inUse[arn] })
	}
	for _, arn := range copies {
		if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
			d.note(r, ops.EventNote, "register task definition was retried and left %s, identical to %s: deregister it failed: %v", ops.ShortTaskDef(arn), ops.ShortTaskDef(keep), err)
			return got
		}
	}
	if len(copies) > 0 {
		d.note(r, ops.EventNote, "register task definition was retried after a lost answer: kept %s, deregistered the copies %s", ops.ShortTaskDef(keep), deployShortList(copies))
	}
	return keep
}

// deployAnswerMayBeLost says whether an earlier attempt of a call that
// finally succeeded failed in a way that does not prove AWS did nothing:
// throttling refuses the call before any work; anything else (a reset
// connection, a timeout, a 5xx) may come after the work.
func deployAnswerMayBeLost(md middleware.Metadata) bool {
	res, ok := retry.GetAttemptResults(md)
	if !ok {
		return false
	}
	for _, a := range res.Results {
		if a.Err != nil && !deployThrottled(a.Err) {
			return true
		}
	}
	return false
}

func deployThrottled(err error) bool {
	switch awsapi.ErrorCode(err) {
	case "ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException":
		return true
	}
	return false
}

func deployShortList(arns []string) string {
	s := make([]string, len(arns))
	for i, a := range arns {
		s[i] = ops.ShortTaskDef(a)
	}
	return strings.Join(s, ", ")
}
