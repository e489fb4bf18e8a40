package cmd

import (
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// maxAttempts per AWS call: the adaptive retryer backs off on throttling and
// 5xx; eight attempts keep a 30 % throttle rate from failing a long wait.
const maxAttempts = 8

// retryer is the SDK's adaptive mode against AWS. Against a sandbox on
// loopback whose clock runs speed× faster than real time, a backoff of one
// AWS second is 1/speed of a real one: the backoff is scaled down so a retry
// waits the same virtual time, and the client-side rate limiter and retry
// quota (calibrated in real seconds, sleeping in real time inside the SDK)
// are left out. speed ≤ 1 means real AWS timing.
func retryer(speed float64) func() aws.Retryer {
	if speed <= 1 {
		return func() aws.Retryer {
			return retry.AddWithMaxAttempts(retry.NewAdaptiveMode(), maxAttempts)
		}
	}
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.RateLimiter = ratelimit.None
			o.Backoff = scaledBackoff{inner: retry.NewExponentialJitterBackoff(retry.DefaultMaxBackoff), speed: speed}
		})
	}
}

type scaledBackoff struct {
	inner retry.BackoffDelayer
	speed float64
}

func (b scaledBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	d, derr := b.inner.BackoffDelay(attempt, err)
	return time.Duration(float64(d) / b.speed), derr
}

// sandboxSpeed is how much faster than real time the AWS endpoint's clock
// runs: ECSCTL_SANDBOX_SPEED, honoured only for a loopback AWS_ENDPOINT_URL
// (a sandbox on this machine), so a stray variable can never make ecsctl
// retry faster against AWS. 1 otherwise.
func sandboxSpeed(getenv func(string) string) float64 {
	v := getenv("ECSCTL_SANDBOX_SPEED")
	if v == "" {
		return 1
	}
	speed, err := strconv.ParseFloat(v, 64)
	if err != nil || !(speed > 1 && speed <= 10000) {
		return 1
	}
	u, err := url.Parse(getenv("AWS_ENDPOINT_URL"))
	if err != nil || u.Host == "" {
		return 1
	}
	host := u.Hostname()
	if host == "localhost" {
		return speed
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return speed
	}
	return 1
}
