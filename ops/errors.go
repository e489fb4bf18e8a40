// Package ops holds what every feature shares (errors, the clock, progress
// events, the service and task shapes); rotations, drains and cluster
// scaling are in ops/fleet, deploys and rollbacks are in ops/deploy, log following in
// ops/logs, the overviews, top's reads and actions and service scaling in
// ops/overview, one-off tasks in ops/task, scheduled tasks in ops/cron, the
// AWS access layer in ops/awsapi. Each works over narrow interfaces of
// aws-sdk-go-v2 clients declared where they are used, takes its clock and
// intervals from its options, and reports progress as typed events.
// Nothing here prints.
package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"ecsctl/ops/awsapi"
)

// Sentinel errors that decide a command's exit code (see cmd/exit.go).
var (
	// ErrFailed: the operation ran and failed (a deploy rolled back, a
	// rotation paused on an unhealthy service).
	ErrFailed = errors.New("operation failed")
	// ErrTimeout: waiting for a verdict took longer than allowed.
	ErrTimeout = errors.New("timed out")
	// ErrInterrupted: the user interrupted the command.
	ErrInterrupted = errors.New("interrupted")
)

// InputError is bad input found before anything was changed. Its message
// names the problem and the fix in one line.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// Inputf builds an InputError.
func Inputf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// NotFoundError is an AWS resource that does not exist (a cluster, a
// service); AWS refused, so it maps to exit code 3. It is awsapi's, where
// the access layer maps ECS's MISSING failures and not-found codes to it.
type NotFoundError = awsapi.NotFoundError

// NotFound is awsapi.NotFound: the error for a missing resource, with a
// hint naming the option to check in ctx's front end's words.
func NotFound(ctx context.Context, kind, name string) *NotFoundError {
	return awsapi.NotFound(ctx, kind, name)
}

// OneLineErr is err's text on one line, for a notice or a hint (AWS
// messages can span lines).
func OneLineErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
