package cmd

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// A sandbox's speed shortens retry backoffs only when the endpoint is on
// this machine: a stray ECSCTL_SANDBOX_SPEED must never make ecsctl retry
// faster against AWS.
func TestSandboxSpeedOnlyForLoopbackEndpoints(t *testing.T) {
	for _, c := range []struct {
		endpoint, speed string
		want            float64
	}{
		{"http://127.0.0.1:4566", "600", 600},
		{"http://localhost:4566", "30", 30},
		{"http://[::1]:4566", "30", 30},
		{"", "600", 1},
		{"https://ecs.us-east-1.amazonaws.com", "600", 1},
		{"http://10.0.0.5:4566", "600", 1},
		{"http://127.0.0.1:4566", "", 1},
		{"http://127.0.0.1:4566", "NaN", 1},
		{"http://127.0.0.1:4566", "0.5", 1},
	} {
		env := map[string]string{"AWS_ENDPOINT_URL": c.endpoint, "ECSCTL_SANDBOX_SPEED": c.speed}
		if got := sandboxSpeed(func(k string) string { return env[k] }); got != c.want {
			t.Errorf("endpoint %q speed %q: got %v, want %v", c.endpoint, c.speed, got, c.want)
		}
	}
}

func TestScaledBackoffKeepsTheVirtualDelay(t *testing.T) {
	b := scaledBackoff{inner: constantBackoff(6 * time.Second), speed: 600}
	d, err := b.BackoffDelay(3, errors.New("throttled"))
	if err != nil || d != 10*time.Millisecond {
		t.Fatalf("got %v %v, want 10ms", d, err)
	}
	if _, ok := retryer(1)().(*retry.AdaptiveMode); ok {
		return
	}
	// AddWithMaxAttempts wraps the adaptive mode; what matters is that real
	// AWS timing keeps the SDK's limiter: the retryer is not a Standard one.
	if _, ok := retryer(1)().(*retry.Standard); ok {
		t.Fatal("real-time retryer is the scaled Standard one")
	}
}

type constantBackoff time.Duration

func (c constantBackoff) BackoffDelay(int, error) (time.Duration, error) {
	return time.Duration(c), nil
}
