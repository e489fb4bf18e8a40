package cmd

import (
	"testing"
	"time"
)

func TestE2EOverviewGoldensOnDemo(t *testing.T) {
	sb := startFrozenSandbox(t, "demo", 5, 3*time.Minute)
	cases := []struct {
		golden string
		args   []string
	}{
		{"clusters.txt", []string{"clusters"}},
		{"clusters.json", []string{"clusters", "-o", "json"}},
		{"services-prod.txt", []string{"services", "-c", "prod"}},
		{"services-prod.json", []string{"services", "-c", "prod", "-o", "json"}},
		{"services-staging-sorted.txt", []string{"services", "-c", "staging", "--sort", "-memory", "--filter", "api"}},
		{"instances-prod.txt", []string{"instances", "-c", "prod"}},
		{"instances-staging.json", []string{"instances", "-c", "staging", "-o", "json"}},
		{"status-prod-api.txt", []string{"status", "-c", "prod", "-s", "api"}},
		{"status-prod-api.json", []string{"status", "-c", "prod", "-s", "api", "-o", "json"}},
		{"events-prod-api.txt", []string{"events", "-c", "prod", "-s", "api"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			golden(t, "overview/"+tc.golden, stdout)
		})
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("read-only overviews mutated: %v", m)
	}
}
