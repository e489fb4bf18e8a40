package opstest

import (
	"context"
	"strings"

	"ecsctl/ops/optname"
)

// FlagNames gives ctx a namer that spells a request field as a CLI flag
// ("LaunchType" is "--launch-type"), for tests that check the words a
// message names an option by; cmd's own table is checked by cmd's tests.
func FlagNames(ctx context.Context) context.Context {
	return optname.With(ctx, func(field string) string {
		return "--" + strings.ReplaceAll(strings.ToLower(optname.Plain(field)), " ", "-")
	})
}
