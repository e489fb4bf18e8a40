package sim

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults is the fault injection setting: for every AWS call (never for the
// /_sandbox endpoints) the server may answer with the protocol's throttling
// error, a 5xx, a delay, or drop the connection without an answer.
//
// A spec is a comma-separated list of entries KEY=VALUE, each optionally
// scoped to a service or an operation:
//
//	throttle=0.2,error=0.05,latency=50ms,reset=0.01     every call
//	ecs:throttle=0.5            (also "ecs:*:throttle=0.5") every ECS call
//	ecs.DescribeServices:error=1                         one operation
//
// Keys: throttle, error, reset, deny (probabilities in [0,1]) and latency
// (a Go duration). deny answers as IAM does when no policy allows the
// action (see faults_deny.go). For each key the most specific entry wins: operation, then
// service, then global. Service names are the Svc* names (ecs, ec2,
// autoscaling, elbv2, cloudwatch, logs, ecr, ssm, sts,
// application-autoscaling) or the aliases asg, elb, cw, appautoscaling.
type Faults struct {
	mu    sync.Mutex
	rules map[string]faultRule // scope ("" global, "ecs", "ecs.DescribeServices") → rule
	rng   *rand.Rand
}

// faultRule holds the keys one scope sets (nil: not set at this scope).
type faultRule struct {
	Throttle *float64
	Error    *float64
	Reset    *float64
	Latency  *time.Duration
	Deny     *float64
}

// faultKind is what the server does to one call.
type faultKind int

const (
	faultNone faultKind = iota
	faultThrottle
	faultError       // 500
	faultUnavailable // 503
	faultReset
	faultDeny
)

func (k faultKind) String() string {
	switch k {
	case faultThrottle:
		return "throttle"
	case faultError, faultUnavailable:
		return "error"
	case faultReset:
		return "reset"
	case faultDeny:
		return "deny"
	}
	return ""
}

var serviceAliases = map[string]string{
	SvcECS: SvcECS, SvcEC2: SvcEC2, SvcAutoScaling: SvcAutoScaling, "asg": SvcAutoScaling,
	SvcELBv2: SvcELBv2, "elb": SvcELBv2, SvcCloudWatch: SvcCloudWatch, "cw": SvcCloudWatch,
	SvcLogs: SvcLogs, SvcECR: SvcECR, SvcSSM: SvcSSM, SvcSTS: SvcSTS,
	SvcAppAutoScaling: SvcAppAutoScaling, "appautoscaling": SvcAppAutoScaling,
}

// ParseFaults reads a fault spec (see Faults). An empty spec injects nothing.
// Errors name the entry at fault.
func ParseFaults(spec string) (*Faults, error) {
	f := &Faults{rules: map[string]faultRule{}}
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		scope, kv := "", entry
		if i := strings.LastIndex(entry, ":"); i >= 0 {
			scope, kv = entry[:i], entry[i+1:]
			var err error
			if scope, err = parseFaultScope(scope); err != nil {
				return nil, fmt.Errorf("faults: entry %q: %w", entry, err)
			}
		}
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("faults: entry %q: want KEY=VALUE", entry)
		}
		r := f.rules[scope]
		switch strings.TrimSpace(key) {
		case "throttle", "error", "reset", "deny":
			p, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil || !(p >= 0 && p <= 1) { // NaN too
				return nil, fmt.Errorf("faults: entry %q: %s must be a probability between 0 and 1", entry, key)
			}
			switch strings.TrimSpace(key) {
			case "throttle":
				r.Throttle = &p
			case "error":
				r.Error = &p
			case "deny":
				r.Deny = &p
			default:
				r.Reset = &p
			}
		case "latency":
			d, err := time.ParseDuration(strings.TrimSpace(val))
			if err != nil || d < 0 || d > time.Minute {
				return nil, fmt.Errorf("faults: entry %q: latency must be a duration between 0 and 1m (like 50ms)", entry)
			}
			r.Latency = &d
		default:
			return nil, fmt.Errorf("faults: entry %q: unknown key %q (want throttle, error, latency, reset or deny)", entry, key)
		}
		f.rules[scope] = r
	}
	return f, nil
}

// parseFaultScope turns "ecs", "ecs:*", "asg.DescribeAutoScalingGroups" or
// "*" into the canonical scope ("" for everything).
func parseFaultScope(scope string) (string, error) {
	scope = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(scope), ":*"))
	if scope == "*" || scope == "" {
		return "", nil
	}
	svc, op, hasOp := strings.Cut(scope, ".")
	canon, ok := serviceAliases[strings.ToLower(svc)]
	if !ok {
		return "", fmt.Errorf("unknown service %q", svc)
	}
	if !hasOp || op == "*" {
		return canon, nil
	}
	if op == "" || strings.ContainsAny(op, " .:=") {
		return "", fmt.Errorf("bad operation name %q", op)
	}
	return canon + "." + op, nil
}

// String returns the spec in canonical form (ParseFaults reads it back).
func (f *Faults) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var scopes []string
	for sc := range f.rules {
		scopes = append(scopes, sc)
	}
	sort.Strings(scopes)
	var parts []string
	for _, sc := range scopes {
		r := f.rules[sc]
		pre := ""
		if sc != "" {
			pre = sc + ":"
		}
		add := func(k string, p *float64) {
			if p != nil {
				parts = append(parts, pre+k+"="+strconv.FormatFloat(*p, 'g', -1, 64))
			}
		}
		add("throttle", r.Throttle)
		add("error", r.Error)
		add("reset", r.Reset)
		add("deny", r.Deny)
		if r.Latency != nil {
			parts = append(parts, pre+"latency="+r.Latency.String())
		}
	}
	return strings.Join(parts, ",")
}

// decide picks what happens to one call of svc.op: a delay and a fault.
func (f *Faults) decide(svc, op string) (time.Duration, faultKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rules) == 0 {
		return 0, faultNone
	}
	var eff faultRule
	for _, sc := range []string{"", svc, svc + "." + op} {
		r, ok := f.rules[sc]
		if !ok {
			continue
		}
		if r.Throttle != nil {
			eff.Throttle = r.Throttle
		}
		if r.Error != nil {
			eff.Error = r.Error
		}
		if r.Reset != nil {
			eff.Reset = r.Reset
		}
		if r.Latency != nil {
			eff.Latency = r.Latency
		}
		if r.Deny != nil {
			eff.Deny = r.Deny
		}
	}
	if f.rng == nil {
		f.rng = rand.New(rand.NewSource(1))
	}
	var delay time.Duration
	if eff.Latency != nil {
		delay = *eff.Latency
	}
	roll := func(p *float64) bool { return p != nil && *p > 0 && f.rng.Float64() < *p }
	switch {
	case roll(eff.Deny):
		// A denied call is refused before anything else could happen.
		return delay, faultDeny
	case roll(eff.Reset):
		return delay, faultReset
	case roll(eff.Throttle):
		return delay, faultThrottle
	case roll(eff.Error):
		if f.rng.Intn(2) == 0 {
			return delay, faultUnavailable
		}
		return delay, faultError
	}
	return delay, faultNone
}

// set replaces f's rules with g's (g nil: no faults), keeping f's random source.
func (f *Faults) set(g *Faults) {
	rules := map[string]faultRule{}
	if g != nil {
		g.mu.Lock()
		for k, v := range g.rules {
			rules[k] = v
		}
		g.mu.Unlock()
	}
	f.mu.Lock()
	f.rules = rules
	f.mu.Unlock()
}

// seed sets the random source of the fault decisions.
func (f *Faults) seed(seed int64) {
	f.mu.Lock()
	f.rng = rand.New(rand.NewSource(seed))
	f.mu.Unlock()
}

// SetFaults replaces the account's fault setting (nil turns faults off). It
// takes effect for the next request.
func (s *Sim) SetFaults(f *Faults) { s.faults.set(f) }

// FaultsSpec returns the current fault setting as a spec.
func (s *Sim) FaultsSpec() string { return s.faults.String() }
