package sim

import (
	"fmt"
	"net/http"
	"reflect"
)

// The deny fault: the call is refused as IAM refuses an action no policy
// allows. The wire form differs by protocol, as it does on AWS:
//
//   - JSON services (ECS, ECR, CloudWatch Logs, SSM, Application Auto
//     Scaling): HTTP 400, __type AccessDeniedException, the message naming
//     the action and the resource ("User: arn:aws:iam::123456789012:user/x is
//     not authorized to perform: ecr:DescribeImages on resource: arn:... because
//     no identity-based policy allows the ecr:DescribeImages action"), as the
//     IAM user guide's "Troubleshoot access denied error messages" shows.
//   - EC2: HTTP 403, code UnauthorizedOperation, "You are not authorized to
//     perform this operation." (EC2 API reference, "Error codes for the
//     Amazon EC2 API": UnauthorizedOperation).
//   - Auto Scaling, ELBv2, CloudWatch and STS (query protocols, CloudWatch
//     query-compatible): HTTP 403, code AccessDenied, "User: ... is not
//     authorized to perform: autoscaling:DescribeAutoScalingGroups because no
//     identity-based policy allows the ... action" (seen in public reports of
//     real responses, e.g. kubernetes/autoscaler#5129).

// iamPrefix is the IAM service prefix of each sandbox service.
var iamPrefix = map[string]string{
	SvcECS: "ecs", SvcEC2: "ec2", SvcAutoScaling: "autoscaling", SvcELBv2: "elasticloadbalancing",
	SvcCloudWatch: "cloudwatch", SvcLogs: "logs", SvcECR: "ecr", SvcSSM: "ssm", SvcSTS: "sts",
	SvcAppAutoScaling: "application-autoscaling",
}

// IAMAction is the IAM action a call of svc.op needs (ecs:UpdateService).
func IAMAction(svc, op string) string {
	p := iamPrefix[svc]
	if p == "" {
		p = svc
	}
	return p + ":" + op
}

// denyCaller is the identity the deny messages name (GetCallerIdentity's).
func (s *Sim) denyCaller() string {
	return "arn:aws:iam::" + s.AccountID + ":user/sandbox"
}

// denyError is the refusal of svc.op with input in, as IAM words it.
func (s *Sim) denyError(svc, op string, in any) awsError {
	action := IAMAction(svc, op)
	switch svc {
	case SvcEC2:
		return awsError{code: "UnauthorizedOperation", status: http.StatusForbidden,
			message: fmt.Sprintf("You are not authorized to perform this operation. User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", s.denyCaller(), action, action)}
	case SvcAutoScaling, SvcELBv2, SvcCloudWatch, SvcSTS:
		return awsError{code: "AccessDenied", status: http.StatusForbidden,
			message: fmt.Sprintf("User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", s.denyCaller(), action, action)}
	}
	return awsError{code: "AccessDeniedException", status: http.StatusBadRequest,
		message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", s.denyCaller(), action, s.denyResource(svc, in), action)}
}

// denyResource is the ARN of the resource a JSON call names, as far as the
// input tells it ("*" for list calls and inputs it cannot read).
func (s *Sim) denyResource(svc string, in any) string {
	str := func(name string) string { return inputString(in, name) }
	arnOr := func(id, kind string) string {
		if len(id) > 4 && id[:4] == "arn:" {
			return id
		}
		return s.arn(svc, kind+id)
	}
	var arn string
	switch svc {
	case SvcECS:
		arn = s.denyECSResource(str, arnOr)
	case SvcECR:
		if repo := str("RepositoryName"); repo != "" {
			reg := str("RegistryId")
			if reg == "" {
				reg = s.AccountID
			}
			arn = "arn:aws:ecr:" + s.Region + ":" + reg + ":repository/" + repo
		}
	case SvcLogs:
		arn = s.denyLogsResource(str, arnOr)
	case SvcSSM:
		if n := str("Name"); n != "" && n[0] == '/' {
			arn = arnOr(n, "parameter")
		} else if n != "" {
			arn = arnOr(n, "parameter/")
		}
	}
	if arn == "" {
		return "*"
	}
	return arn
}

// inputString is the string, *string or first []string element of the
// input struct's field name ("" when it has none).
func inputString(in any, name string) string {
	v := reflect.ValueOf(in)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName(name)
	switch {
	case !f.IsValid():
		return ""
	case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String:
		if f.IsNil() {
			return ""
		}
		return f.Elem().String()
	case f.Kind() == reflect.String:
		return f.String()
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String && f.Len() > 0:
		return f.Index(0).String()
	}
	return ""
}

// denyECSResource names the service, task definition or cluster an ECS
// call is about ("" when none).
func (s *Sim) denyECSResource(str func(string) string, arnOr func(id, kind string) string) string {
	cluster := str("Cluster")
	if cluster == "" {
		cluster = "default"
	}
	cluster = lastSegment(cluster)
	if svcName := str("Service"); svcName != "" {
		return arnOr(svcName, "service/"+cluster+"/")
	}
	if svcName := str("Services"); svcName != "" {
		return arnOr(svcName, "service/"+cluster+"/")
	}
	if td := str("TaskDefinition"); td != "" {
		return arnOr(td, "task-definition/")
	}
	if str("Cluster") != "" {
		return s.arn(SvcECS, "cluster/"+cluster)
	}
	return ""
}

// denyLogsResource names the log group a CloudWatch Logs call is about.
func (s *Sim) denyLogsResource(str func(string) string, arnOr func(id, kind string) string) string {
	if g := str("LogGroupName"); g != "" {
		return s.arn(SvcLogs, "log-group:"+g+":*")
	}
	if g := str("LogGroupIdentifier"); g != "" {
		return arnOr(g, "log-group:")
	}
	if g := str("LogGroupIdentifiers"); g != "" {
		return arnOr(g, "log-group:")
	}
	return ""
}

// lastSegment is the name in a cluster ARN (or the name itself).
func lastSegment(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}
