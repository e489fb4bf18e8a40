// Package awsapi is ecsctl's one access layer over the AWS SDK: per service
// a small unexported api interface (the subset of the SDK client's methods
// used) and a client whose methods do, once, what every feature needs
// around a call: batching within the API's limits, following every page,
// and turning "no such resource" into a *NotFoundError. A call a feature's
// narrow interface holds without the rest of a client's api interface (a
// fleet change: container instance states, scale-in protection, tags) is
// a package function over a one-call interface, as the SDK's paginators
// take one. It imports only the SDK, so every ops package can build on it.
package awsapi

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// NotFoundError is an AWS resource that does not exist (a cluster, a
// service); AWS refused, so it maps to exit code 3.
type NotFoundError struct {
	Kind string // "cluster", "service", ...
	Name string
}

func (e *NotFoundError) Error() string {
	name := e.Name
	if r := []rune(name); len(r) > 200 { // a hostile name is not echoed whole
		name = string(r[:200]) + "…"
	}
	msg := fmt.Sprintf("%s %s not found", e.Kind, name)
	if hint := notFoundHints[e.Kind]; hint != "" {
		msg += ": " + hint
	}
	return msg
}

// notFoundHints say how to find the right name. They name ecsctl's flags:
// the type moved here from ops unchanged (issue 17 moves flag names to cmd
// in a later step).
var notFoundHints = map[string]string{
	"cluster":            "check --cluster ('ecsctl clusters' lists them)",
	"service":            "check --service ('ecsctl services -c CLUSTER' lists them)",
	"task":               "check --task (a task id or ARN of a RUNNING task, or one stopped in the last hour)",
	"auto scaling group": "check --asg, or leave it out to use the group running the cluster's instances",
}

// ErrorCode returns the AWS error code of err, or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Transient reports errors worth waiting out while polling: throttling,
// server faults and network trouble that survived the SDK's own retries.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	switch ErrorCode(err) {
	case "ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException",
		"ServerException", "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException":
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF") || strings.Contains(msg, "retry quota exceeded")
}

// chunks splits items into slices of at most size, in order.
func chunks(items []string, size int) [][]string {
	var out [][]string
	for i := 0; i < len(items); i += size {
		out = append(out, items[i:min(i+size, len(items))])
	}
	return out
}

// Message is an AWS error's own message (without the SDK's operation and
// request id), or the error's text; on one line when only that is empty.
func Message(err error) string {
	var m interface{ ErrorMessage() string }
	if errors.As(err, &m) {
		if msg := m.ErrorMessage(); msg != "" {
			return msg
		}
	} else if s := err.Error(); s != "" {
		return s
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
