package cmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"ecsctl/sim"
)

// A denied call a command cannot do without exits 3 with one line naming
// the IAM action and the resource; nothing after the refusal is attempted.
func TestE2EDeniedEssentialCallExit3NamesActionAndResource(t *testing.T) {
	parallel(t)
	for _, tc := range []struct {
		faults string
		args   []string
		want   string
		// mutating calls allowed before the refusal
		mutations []string
	}{
		{"ecs.DescribeServices:deny=1", []string{"services", "-c", "small"},
			"ecsctl: ecs:DescribeServices denied on services of small: User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: ecs:DescribeServices", nil},
		{"ec2:deny=1", []string{"instances", "-c", "small"},
			"ecsctl: ec2:DescribeInstances denied on EC2 instances", nil},
		{"ecs.RegisterTaskDefinition:deny=1", deployArgs("--service", "api", "--tag", sim.DemoNextTag),
			"ecsctl: ecs:RegisterTaskDefinition denied on task definition api: ", nil},
		{"ecs.UpdateService:deny=1", deployArgs("--service", "api", "--tag", sim.DemoNextTag),
			"ecsctl: ecs:UpdateService denied on service small/api: ", []string{"ecs.RegisterTaskDefinition"}},
		{"ecs.RunTask:deny=1", []string{"run", "-c", "small", "-s", "worker", "--", "echo", "hi"},
			"ecsctl: ecs:RunTask denied on task worker:", nil},
	} {
		sb := startSandbox(t, "small", tc.faults)
		code, _, stderr := run(t, tc.args...)
		if code != ExitAWS {
			t.Errorf("%s %v: exit %d, want 3\n%s", tc.faults, tc.args, code, stderr)
		}
		var line string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(l, "ecsctl: ") {
				line = l
			}
		}
		if !strings.HasPrefix(line, tc.want) {
			t.Errorf("%s %v: last line %q, want %q…\n%s", tc.faults, tc.args, line, tc.want, stderr)
		}
		var m []string // mutating calls AWS carried out
		for _, r := range sb.sim.MutatingRequests() {
			if r.Status == 200 {
				m = append(m, r.Service+"."+r.Op)
			}
		}
		if strings.Join(m, ",") != strings.Join(tc.mutations, ",") {
			t.Errorf("%s %v: mutating calls answered %v, want %v", tc.faults, tc.args, m, tc.mutations)
		}
	}
}

func TestDeniedLineNamesTheRefusedAction(t *testing.T) {
	parallel(t)
	// ECS refuses RegisterTaskDefinition when the caller may not pass the
	// task role: the line names iam:PassRole, the permission to add.
	line, ok := deniedLine(denyErr("ECS", "RegisterTaskDefinition", "AccessDeniedException",
		"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/api-task"))
	if !ok || !strings.HasPrefix(line, "iam:PassRole denied on task definition api: User:") {
		t.Errorf("%q %v", line, ok)
	}
	if _, ok := deniedLine(denyErr("ECS", "UpdateService", "ThrottlingException", "Rate exceeded")); ok {
		t.Errorf("a throttle read as a denial")
	}
}

func denyErr(svc, op, code, msg string) error {
	return fmt.Errorf("register task definition api: %w", &smithy.OperationError{ServiceID: svc, OperationName: op,
		Err: &smithy.GenericAPIError{Code: code, Message: msg}})
}
