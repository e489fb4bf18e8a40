package sim

import (
	"strings"
	"testing"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		spec, canon, err string
	}{
		{"", "", ""},
		{"throttle=0.2,error=0.05,latency=50ms,reset=0.01", "throttle=0.2,error=0.05,reset=0.01,latency=50ms", ""},
		{"ecs.DescribeServices:throttle=0.5", "ecs.DescribeServices:throttle=0.5", ""},
		{"ecs:*:error=0.1, asg:throttle=1", "autoscaling:throttle=1,ecs:error=0.1", ""},
		{"*:latency=1s", "latency=1s", ""},
		{"throttle=1.5", "", `entry "throttle=1.5": throttle must be a probability`},
		{"throttle", "", `entry "throttle": want KEY=VALUE`},
		{"jitter=0.1", "", `unknown key "jitter"`},
		{"latency=fast", "", `latency must be a duration`},
		{"s3:error=0.1", "", `unknown service "s3"`},
		{"ecs.:error=0.1", "", `bad operation name`},
	}
	for _, tt := range tests {
		f, err := ParseFaults(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: got error %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
			continue
		}
		if got := f.String(); got != tt.canon {
			t.Errorf("%q: canonical %q, want %q", tt.spec, got, tt.canon)
		}
		if g, err := ParseFaults(f.String()); err != nil || g.String() != f.String() {
			t.Errorf("%q: canonical form does not parse back: %v", tt.spec, err)
		}
	}
}

func TestFaultScopesMostSpecificWins(t *testing.T) {
	f, err := ParseFaults("throttle=1,ecs:throttle=0,ecs.DescribeServices:error=1,latency=3ms,ec2.DescribeInstances:latency=0s")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		svc, op string
		kind    faultKind
		delayMS int
	}{
		{SvcEC2, "TerminateInstances", faultThrottle, 3},
		{SvcEC2, "DescribeInstances", faultThrottle, 0},
		{SvcECS, "ListServices", faultNone, 3},
		{SvcECS, "DescribeServices", faultError, 3},
	}
	for _, tt := range tests {
		d, k := f.decide(tt.svc, tt.op)
		if k == faultUnavailable {
			k = faultError
		}
		if k != tt.kind || d.Milliseconds() != int64(tt.delayMS) {
			t.Errorf("%s.%s: got %v %v, want %v %dms", tt.svc, tt.op, k, d, tt.kind, tt.delayMS)
		}
	}
}
