package fmtx

import "testing"

func TestShortARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/abc": "abc",
		"arn:aws:ecs:us-east-1:123456789012:task-definition/api:7":           "api:7",
		"api:7": "api:7",
		"":      "",
	} {
		if got := ShortARN(in); got != want {
			t.Errorf("ShortARN(%q) = %q, want %q", in, got, want)
		}
	}
}
