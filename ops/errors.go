// Package ops holds ecsctl's operations: deploys, rotations, scaling, log
// following and the read paths behind the overviews. Each works over narrow
// interfaces of aws-sdk-go-v2 clients declared where they are used, takes
// its clock and intervals from its options, and reports progress as typed
// events. Nothing here prints.
package ops

import (
	"errors"
	"fmt"
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

// notFoundHints say how to find the right name.
var notFoundHints = map[string]string{
	"cluster":            "check --cluster ('ecsctl clusters' lists them)",
	"service":            "check --service ('ecsctl services -c CLUSTER' lists them)",
	"task":               "check --task (a task id or ARN of a RUNNING task, or one stopped in the last hour)",
	"auto scaling group": "check --asg, or leave it out to use the group running the cluster's instances",
}
