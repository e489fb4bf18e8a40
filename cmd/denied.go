package cmd

import (
	"errors"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"
)

// iamServicePrefix maps the SDK's service ids to IAM action prefixes.
var iamServicePrefix = map[string]string{
	"ECS": "ecs", "EC2": "ec2", "Auto Scaling": "autoscaling", "Elastic Load Balancing v2": "elasticloadbalancing",
	"CloudWatch": "cloudwatch", "CloudWatch Logs": "logs", "ECR": "ecr", "SSM": "ssm", "STS": "sts",
	"Application Auto Scaling": "application-autoscaling",
}

// deniedActionRE finds the action in IAM's "is not authorized to perform:
// ecs:UpdateService on resource: ..." wording.
var deniedActionRE = regexp.MustCompile(`not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// deniedLine rewrites an IAM refusal as "<action> denied on <what>: <AWS
// message>", so that the line says which permission to add: the action from
// the failed call, the resource from the context ops wrapped it in
// ("update service prod/api: ..." → "service prod/api").
func deniedLine(err error) (string, bool) {
	var ae smithy.APIError
	if err == nil || !errors.As(err, &ae) {
		return "", false
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
	default:
		return "", false
	}
	action := "the call"
	var oe *smithy.OperationError
	if m := deniedActionRE.FindStringSubmatch(ae.ErrorMessage()); m != nil {
		// IAM names the action it refused, which is not always the call's
		// (RegisterTaskDefinition refused for iam:PassRole on a task role).
		action = m[1]
	} else if errors.As(err, &oe) {
		prefix := iamServicePrefix[oe.ServiceID]
		if prefix == "" {
			prefix = strings.ToLower(strings.ReplaceAll(oe.ServiceID, " ", ""))
		}
		action = prefix + ":" + oe.OperationName
	}
	what := ""
	if i := strings.Index(err.Error(), "operation error "); i > 0 {
		what = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(err.Error()[:i]), ":"))
		// Drop the verb: "describe services of prod" → "services of prod".
		if verb, rest, ok := strings.Cut(what, " "); ok && verb == strings.ToLower(verb) {
			what = rest
		}
		// A context of several parts ("prod/api: update service prod/api")
		// names the resource last.
		if i := strings.LastIndex(what, ": "); i >= 0 {
			what = what[i+2:]
			if verb, rest, ok := strings.Cut(what, " "); ok && verb == strings.ToLower(verb) {
				what = rest
			}
		}
	}
	line := action + " denied"
	if what != "" {
		line += " on " + what
	}
	return oneLine(line + ": " + ae.ErrorMessage()), true
}
