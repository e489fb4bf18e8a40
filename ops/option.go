package ops

import (
	"context"

	"ecsctl/ops/optname"
)

// Opt is the front end's name for the option that the request field field
// sets ("--timeout-per-batch" for "TimeoutPerBatch" in the CLI); without a
// namer in ctx, the field in plain words. Messages that tell the user what
// to change name the option through it, so ops does not know the CLI's
// flags and the dashboard does not show them.
func Opt(ctx context.Context, field string) string { return optname.Name(ctx, field) }

// WithOptionNames returns ctx carrying the front end's namer for Opt.
func WithOptionNames(ctx context.Context, names func(field string) string) context.Context {
	return optname.With(ctx, names)
}
