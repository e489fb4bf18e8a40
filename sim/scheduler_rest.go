package sim

import (
	"ecsctl/sim/wire"

	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
)

// EventBridge Scheduler speaks restJson1 (the SDK's serializers.go: GET
// /schedules, GET|POST|PUT|DELETE /schedules/{Name}, query groupName), unlike
// the services the rest of the HTTP layer serves, so its requests are routed
// here: the operation comes from method and path, members from the path, the
// query string and a JSON body; errors are the status code, an
// X-Amzn-ErrorType header and {"message": ...}.

// SvcScheduler is EventBridge Scheduler (restJson1).
const SvcScheduler = "scheduler"

// isSchedulerREST tells a Scheduler request apart: the other protocols POST
// to "/" (query), carry X-Amz-Target (awsJson) or use /service/ (rpcv2).
func isSchedulerREST(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	p := r.URL.Path
	return p == "/schedules" || strings.HasPrefix(p, "/schedules/") || p == "/schedule-groups" || strings.HasPrefix(p, "/schedule-groups/")
}

// schedRoute maps a request to an operation name and its non-body members.
func schedRoute(r *http.Request) (string, map[string]any) {
	q := r.URL.Query()
	m := map[string]any{}
	name, hasName := strings.CutPrefix(r.URL.EscapedPath(), "/schedules/")
	if hasName {
		if n, err := url.PathUnescape(name); err == nil {
			m["Name"] = n
		}
	}
	switch {
	case r.URL.Path == "/schedules" && r.Method == http.MethodGet:
		setQuery(m, q, "ScheduleGroup", "GroupName")
		setQuery(m, q, "NamePrefix", "NamePrefix")
		setQuery(m, q, "State", "State")
		setQuery(m, q, "NextToken", "NextToken")
		if v := q.Get("MaxResults"); v != "" {
			m["MaxResults"] = json.Number(v)
		}
		return "ListSchedules", m
	case hasName:
		setQuery(m, q, "groupName", "GroupName")
		switch r.Method {
		case http.MethodGet:
			return "GetSchedule", m
		case http.MethodPost:
			return "CreateSchedule", m
		case http.MethodPut:
			return "UpdateSchedule", m
		case http.MethodDelete:
			setQuery(m, q, "clientToken", "ClientToken")
			return "DeleteSchedule", m
		}
	}
	return "", m
}

func setQuery(m map[string]any, q url.Values, key, member string) {
	if v := q.Get(key); v != "" {
		m[member] = v
	}
}

// serveSchedulerREST answers one Scheduler request; c has its request ID.
func (s *Server) serveSchedulerREST(w http.ResponseWriter, r *http.Request, c *call, body []byte) {
	c.svc = SvcScheduler
	opName, members := schedRoute(r)
	c.op = opName
	op := s.reg.Lookup(SvcScheduler, opName)
	if op == nil {
		c.op = r.Method + " " + r.URL.Path
		s.writeRESTError(w, c, awsError{code: "ValidationException", message: "no operation " + r.Method + " " + r.URL.Path, status: 404})
		return
	}
	c.record.Mutating = op.Mutating
	fault, done := s.injectFault(w, c, func(e awsError) { s.writeRESTError(w, c, e) },
		awsError{code: "ThrottlingException", message: "Rate exceeded", status: 429},
		func(_ *call, unavailable bool) awsError {
			e := awsError{code: "InternalServerException", message: "An internal error occurred, please retry", status: 500, server: true}
			if unavailable {
				e.status = 503
			}
			return e
		})
	if done {
		return
	}
	in := op.NewInput()
	if err := decodeRESTInput(body, members, in); err != nil {
		s.writeRESTError(w, c, awsError{code: "ValidationException", message: err.Error(), status: 400})
		return
	}
	if fault == faultDeny {
		c.record.Fault = "deny"
		e := s.sim.denyError(c.svc, c.op, in)
		e.status = 403
		s.writeRESTError(w, c, e)
		return
	}
	payload, aerr := s.invokeREST(c, op, in)
	if aerr != nil {
		s.writeRESTError(w, c, *aerr)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", c.requestID)
	setVirtualDate(h, c)
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
	s.log(c, http.StatusOK, "")
}

// decodeRESTInput decodes a restJson1 body plus the members bound to the
// URI and query (sim/wire).
func decodeRESTInput(body []byte, members map[string]any, in any) error {
	return wire.DecodeRESTJSON(body, members, in)
}

func (s *Server) invokeREST(c *call, op *Operation, in any) (payload []byte, aerr *awsError) {
	s.sim.Lock()
	defer s.sim.Unlock()
	c.record.Virtual = s.sim.now
	defer func() {
		if r := recover(); r != nil {
			if s.Logf != nil {
				s.Logf("sim: %s.%s panicked: %v\n%s", c.svc, c.op, r, debug.Stack())
			}
			payload, aerr = nil, &awsError{code: "InternalServerException", message: fmt.Sprintf("internal error in %s: %v", c.op, r), status: 500, server: true}
		}
	}()
	out, err := op.Call(s.sim, in)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, &awsError{code: ae.Code, message: ae.Message, status: ae.HTTPStatus(), server: ae.Server || ae.HTTPStatus() >= 500}
		}
		return nil, &awsError{code: "InternalServerException", message: err.Error(), status: 500, server: true}
	}
	v := reflect.ValueOf(out)
	if !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return []byte("{}"), nil
	}
	return writeRESTJSON(nil, v), nil
}

func (s *Server) writeRESTError(w http.ResponseWriter, c *call, e awsError) {
	if e.status == 0 {
		e.status = 400
	}
	b, _ := json.Marshal(map[string]string{"message": e.message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", e.code)
	h.Set("X-Amzn-Requestid", c.requestID)
	setVirtualDate(h, c)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
	s.log(c, e.status, e.code)
}

// schedWireNames are the Scheduler members whose JSON name is not the Go
// field name (its deserializers.go: the ECS-shaped structs keep ECS's
// lower-case names).
var schedWireNames = map[string]string{
	"AwsvpcConfiguration": "awsvpcConfiguration",
	"CapacityProvider":    "capacityProvider",
	"Base":                "base",
	"Weight":              "weight",
	"Expression":          "expression",
	"Field":               "field",
	"Type":                "type",
}

// writeRESTJSON writes a classic (non-schema) SDK struct as restJson1 with
// Scheduler's member names.
func writeRESTJSON(b []byte, v reflect.Value) []byte {
	return wire.AppendRESTJSON(b, v, schedWireNames)
}
