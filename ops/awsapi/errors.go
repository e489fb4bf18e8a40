// Package awsapi is ecsctl's one access layer over the AWS SDK: per service
// a small unexported api interface (the subset of the SDK client's methods
// used) and a client whose methods do, once, what every feature needs
// around a call: batching within the API's limits, following every page,
// and turning "no such resource" into a *NotFoundError. A call a feature's
// narrow interface holds without the rest of a client's api interface (a
// fleet change: container instance states, scale-in protection, tags) is
// a package function over a one-call interface, as the SDK's paginators
// take one. It imports only the SDK, ops/optname and fmtx, so every ops
// package can build on it.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"

	"ecsctl/ops/optname"
)

// NotFoundError is an AWS resource that does not exist (a cluster, a
// service); AWS refused, so it maps to exit code 3.
type NotFoundError struct {
	Kind string // "cluster", "service", ...
	Name string
	// Hint says how to find the right name, in the words of the front end
	// that asked (NotFound).
	Hint string
}

// NotFound is the error for a kind of resource named name that does not
// exist, with a hint that names the option to check as ctx's front end
// calls it (optname).
func NotFound(ctx context.Context, kind, name string) *NotFoundError {
	return &NotFoundError{Kind: kind, Name: name, Hint: notFoundHint(ctx, kind)}
}

func (e *NotFoundError) Error() string {
	name := e.Name
	if r := []rune(name); len(r) > 200 { // a hostile name is not echoed whole
		name = string(r[:200]) + "…"
	}
	msg := fmt.Sprintf("%s %s not found", e.Kind, name)
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// notFoundHint says how to find the right name: the option that named it
// (a request field, in the front end's words) and where to look.
func notFoundHint(ctx context.Context, kind string) string {
	switch kind {
	case "cluster":
		return "check " + optname.Name(ctx, "Cluster") + " ('ecsctl clusters' lists them)"
	case "service":
		return "check " + optname.Name(ctx, "Service") + " ('ecsctl services -c CLUSTER' lists them)"
	case "task":
		return "check " + optname.Name(ctx, "Task") + " (a task id or ARN of a RUNNING task, or one stopped in the last hour)"
	case "auto scaling group":
		return "check " + optname.Name(ctx, "ASG") + ", or leave it out to use the group running the cluster's instances"
	}
	return ""
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
