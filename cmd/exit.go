package cmd

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"

	"ecsctl/ops"
)

// Exit codes, documented in README.md.
const (
	ExitOK          = 0   // success
	ExitFailed      = 1   // the operation failed (deploy failed or rolled back, ...)
	ExitUsage       = 2   // bad usage or input; nothing was changed
	ExitAWS         = 3   // AWS refused: auth, not found, throttled past retries
	ExitTimeout     = 124 // timed out waiting
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// usageError is bad command-line usage (unknown flag, malformed value).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: sprintf(format, args...)}
}

// exitStatus is an exit code the command decided itself (ecsctl run exits
// with its task's container's exit code).
type exitStatus struct {
	code int
	msg  string
}

func (e *exitStatus) Error() string { return e.msg }

// awsSetupError is missing or unusable credentials or region.
type awsSetupError struct{ msg string }

func (e *awsSetupError) Error() string { return e.msg }

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ue *usageError
	var ie *ops.InputError
	var se *awsSetupError
	var nf *ops.NotFoundError
	var ae smithy.APIError
	var es *exitStatus
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &es):
		return es.code
	case errors.As(err, &ue), errors.As(err, &ie):
		return ExitUsage
	case errors.Is(err, ops.ErrInterrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, ops.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout
	case errors.Is(err, ops.ErrFailed):
		return ExitFailed
	case errors.As(err, &se), errors.As(err, &nf), errors.As(err, &ae), isCredentialsError(err):
		return ExitAWS
	default:
		return ExitFailed
	}
}

// isCredentialsError recognises the SDK's "no credentials" failures, which
// are not API errors.
func isCredentialsError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found") ||
		strings.Contains(msg, "failed to refresh cached credentials")
}
