package sim

import (
	"sync"
	"time"
)

// requestLogSize bounds the request log: it keeps the most recent calls.
const requestLogSize = 100_000

// RequestRecord is one AWS call the server answered (or dropped).
type RequestRecord struct {
	Service  string `json:"service"`
	Op       string `json:"op"`
	Mutating bool   `json:"mutating"`
	// Real is the wall-clock time the request arrived; Virtual the account's
	// virtual time when it was served.
	Real    time.Time `json:"real"`
	Virtual time.Time `json:"virtual"`
	// Status is the HTTP status sent (0 when the connection was reset).
	Status int `json:"status"`
	// ErrorCode is the AWS error code sent, if any.
	ErrorCode string `json:"errorCode,omitempty"`
	// Fault names the injected fault (throttle, error, reset), if any.
	Fault string `json:"fault,omitempty"`
	// LatencyMS is the real time spent answering, in milliseconds.
	LatencyMS float64 `json:"latencyMs"`
	// App is the client's application id (the SDK's AppID, "app/<id>" in
	// its User-Agent), if it sent one.
	App string `json:"app,omitempty"`
}

// requestLog records every request the server answered: a ring of the last
// requestLogSize records and a counter per operation. It has its own lock so
// that reading it never waits for the account.
type requestLog struct {
	mu     sync.Mutex
	ring   []RequestRecord
	next   int // index of the next write once the ring is full
	full   bool
	counts map[string]int
}

func (l *requestLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	l.counts[r.Service+"."+r.Op]++
	if !l.full {
		l.ring = append(l.ring, r)
		if len(l.ring) == requestLogSize {
			l.full = true
		}
		return
	}
	l.ring[l.next] = r
	l.next = (l.next + 1) % requestLogSize
}

// records returns the kept records, oldest first, those keep returns true for.
func (l *requestLog) records(keep func(*RequestRecord) bool) []RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]RequestRecord, 0, len(l.ring))
	n := len(l.ring)
	for i := 0; i < n; i++ {
		r := &l.ring[(l.next+i)%n]
		if keep == nil || keep(r) {
			out = append(out, *r)
		}
	}
	return out
}

func (l *requestLog) countsCopy() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.counts))
	for k, v := range l.counts {
		out[k] = v
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring, l.next, l.full, l.counts = nil, 0, false, nil
}

// Requests returns the most recent AWS calls (up to 100,000), oldest first.
func (s *Sim) Requests() []RequestRecord { return s.reqlog.records(nil) }

// MutatingRequests returns the kept calls of operations that change state.
func (s *Sim) MutatingRequests() []RequestRecord {
	return s.reqlog.records(func(r *RequestRecord) bool { return r.Mutating })
}

// RequestCounts returns how many calls each operation received since the
// last reset, keyed "service.Op" ("ecs.DescribeServices").
func (s *Sim) RequestCounts() map[string]int { return s.reqlog.countsCopy() }

// ResetRequests clears the request log and the counters.
func (s *Sim) ResetRequests() { s.reqlog.reset() }

// RequestsSince returns the kept calls that arrived at or after t (real
// time), oldest first. It reads back from the newest record only as far as
// a minute before t (a call is logged when answered, so arrival order and
// log order differ by at most its latency).
func (s *Sim) RequestsSince(t time.Time) []RequestRecord {
	l := &s.reqlog
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []RequestRecord
	n := len(l.ring)
	for i := n - 1; i >= 0; i-- {
		r := &l.ring[(l.next+i)%n]
		if r.Real.Before(t.Add(-time.Minute)) {
			break
		}
		if !r.Real.Before(t) {
			out = append(out, *r)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
