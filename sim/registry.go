package sim

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Service names used to register operations. The HTTP layer maps each wire
// protocol request to one of these.
const (
	SvcECS         = "ecs"
	SvcEC2         = "ec2"
	SvcAutoScaling = "autoscaling"
	SvcELBv2       = "elbv2"
	SvcCloudWatch  = "cloudwatch"
	SvcLogs        = "logs"
	SvcECR         = "ecr"
	SvcSSM         = "ssm"
	SvcSTS         = "sts"
	// SvcAppAutoScaling is Application Auto Scaling (awsJson1_1, X-Amz-Target
	// AnyScaleFrontendService.<Op>), for services' scalable targets.
	SvcAppAutoScaling = "application-autoscaling"
)

// Operation is one registered AWS operation: the SDK input type to decode into
// and the function that serves it.
type Operation struct {
	Service string
	Name    string
	// InputType is the SDK input struct type (e.g. ecs.DescribeServicesInput).
	InputType reflect.Type
	// Mutating is false for Describe*/List*/Get*/Filter* calls.
	Mutating bool
	call     func(s *Sim, in any) (any, error)
}

// NewInput returns a pointer to a zero SDK input struct for decoding.
func (op *Operation) NewInput() any { return reflect.New(op.InputType).Interface() }

// Call runs the operation. The caller holds the account lock.
func (op *Operation) Call(s *Sim, in any) (any, error) { return op.call(s, in) }

// Registry maps service and operation names to operations.
type Registry struct {
	mu  sync.RWMutex // tests add operations while a server answers
	ops map[string]map[string]*Operation
}

// NewRegistry returns an empty registry (tests build their own).
func NewRegistry() *Registry { return &Registry{ops: map[string]map[string]*Operation{}} }

// DefaultRegistry holds every operation the subsystems register in init().
var DefaultRegistry = NewRegistry()

// Lookup finds an operation, or nil.
func (r *Registry) Lookup(service, name string) *Operation {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ops[service][name]
}

// Operations lists the registered operation names of a service, sorted.
func (r *Registry) Operations(service string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var names []string
	for n := range r.ops[service] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Add registers an operation; a duplicate panics (it is a programming error).
func (r *Registry) Add(op *Operation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops[op.Service] == nil {
		r.ops[op.Service] = map[string]*Operation{}
	}
	if _, dup := r.ops[op.Service][op.Name]; dup {
		panic("sim: operation registered twice: " + op.Service + "." + op.Name)
	}
	r.ops[op.Service][op.Name] = op
}

// Handle adds fn as service.name to r. I is the SDK input struct, O the SDK
// output struct: Handle(r, SvcECS, "DescribeServices", (*Sim).ecsDescribeServices).
func Handle[I, O any](r *Registry, service, name string, fn func(s *Sim, in *I) (*O, error)) {
	r.Add(&Operation{
		Service:   service,
		Name:      name,
		InputType: reflect.TypeOf((*I)(nil)).Elem(),
		Mutating:  !isReadOnlyName(name),
		call: func(s *Sim, in any) (any, error) {
			out, err := fn(s, in.(*I))
			if err != nil {
				return nil, err
			}
			return out, nil
		},
	})
}

// register adds an operation to the default registry (use in init()).
func register[I, O any](service, name string, fn func(s *Sim, in *I) (*O, error)) {
	Handle(DefaultRegistry, service, name, fn)
}

func isReadOnlyName(name string) bool {
	for _, p := range []string{"Describe", "List", "Get", "Filter", "BatchGet"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// eventHandlers maps event kinds to their handlers (registered in init()).
var eventHandlers = map[string]func(s *Sim, key string){}

// registerEvent makes kind schedulable. Handlers run with the lock held and
// s.Now() set to the event's time.
func registerEvent(kind string, h func(s *Sim, key string)) {
	if _, dup := eventHandlers[kind]; dup {
		panic("sim: event kind registered twice: " + kind)
	}
	eventHandlers[kind] = h
}

// APIError is an AWS error: its Code is the wire error code
// (ClusterNotFoundException, ValidationError, ...). The HTTP layer writes it
// in the shape of the request's protocol.
type APIError struct {
	Code    string
	Message string
	// Status is the HTTP status (default 400).
	Status int
	// Sender is true for client faults (query protocols' <Type>Sender</Type>).
	Server bool
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus returns the status code to send.
func (e *APIError) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if e.Server {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// apiErr builds an APIError with a formatted message.
func apiErr(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}
