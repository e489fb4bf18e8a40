package sim

// Owned by the HTTP/protocol layer (server.go, proto_*.go, faults.go,
// reqlog.go). Stubs so that the rest compiles on its own.

// Faults is the fault injection setting (throttling, 5xx, latency, resets).
type Faults struct{}

// ParseFaults reads "throttle=0.2,error=0.05,latency=50ms,reset=0.01" with
// optional per-operation entries.
func ParseFaults(spec string) (*Faults, error) { return &Faults{}, nil }

// requestLog records every request the server answered.
type requestLog struct{}
