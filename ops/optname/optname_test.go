package optname

import (
	"context"
	"testing"
)

func TestPlain(t *testing.T) {
	for field, want := range map[string]string{
		"TimeoutPerBatch": "timeout per batch",
		"SSMParameter":    "SSM parameter",
		"ASG":             "ASG",
		"Count":           "count",
		"CPU":             "CPU",
		"TaskDef":         "task def",
		"":                "",
	} {
		if got := Plain(field); got != want {
			t.Errorf("Plain(%q) = %q, want %q", field, got, want)
		}
	}
}

func TestNameUsesTheContextsNamer(t *testing.T) {
	ctx := With(context.Background(), func(field string) string {
		if field == "Batch" {
			return "--batch"
		}
		return ""
	})
	if got := Name(ctx, "Batch"); got != "--batch" {
		t.Errorf("Name(Batch) = %q, want --batch", got)
	}
	if got := Name(ctx, "TimeoutPerBatch"); got != "timeout per batch" {
		t.Errorf("a field the namer does not know = %q, want the plain words", got)
	}
	if got := Name(context.Background(), "Batch"); got != "batch" {
		t.Errorf("without a namer = %q, want batch", got)
	}
}
