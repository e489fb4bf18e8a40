package sim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	smithy "github.com/aws/smithy-go"

	"ecsctl/sim/wire"
)

// Server answers AWS API calls for one account over HTTP, in each service's
// wire protocol, and serves the sandbox's control endpoints under
// /_sandbox/. Point the SDK at it with AWS_ENDPOINT_URL (or BaseEndpoint).
//
// Requests are told apart by shape: X-Amz-Target (awsJson1_1: ECS, Logs,
// ECR, SSM, Application Auto Scaling), POST /service/<name>/operation/<Op>
// with Smithy-Protocol: rpc-v2-cbor (CloudWatch), or a form with Action and
// Version (ec2Query: EC2; awsQuery: Auto Scaling, ELBv2, STS).
//
// Control endpoints (never fault-injected):
//
//	GET  /_sandbox/health             {"status":"ok"}
//	GET  /_sandbox/report             the recorder's Report
//	GET  /_sandbox/requests           request log and per-operation counters
//	                                  (?limit=N: the last N; ?reset=1: clear after reading)
//	GET  /_sandbox/faults             {"spec": "..."}
//	POST /_sandbox/faults             set the spec (body, {"spec":...} or ?spec=)
//	GET  /_sandbox/clock              {"now":..., "speed":..., "manual":...}
//	POST /_sandbox/clock?speed=X      change the clock's speed
type Server struct {
	sim   *Sim
	reg   *Registry
	reqID atomic.Uint64
	// Logf receives a line (with the stack) for every operation that
	// panicked; it defaults to log.Printf.
	Logf func(format string, args ...any)
}

// NewServer returns a server for s answering the operations in reg (usually
// DefaultRegistry).
func NewServer(s *Sim, reg *Registry) *Server {
	s.faults.seed(s.opts.Seed)
	return &Server{sim: s, reg: reg, Logf: log.Printf}
}

// protocol is a request's wire protocol.
type protocol int

const (
	protoJSON  protocol = iota // awsJson1_1
	protoCBOR                  // smithy rpcv2Cbor
	protoQuery                 // awsQuery
	protoEC2                   // ec2Query
)

// jsonTargets maps X-Amz-Target prefixes to services.
var jsonTargets = map[string]string{
	"AmazonEC2ContainerServiceV20141113":   SvcECS,
	"Logs_20140328":                        SvcLogs,
	"AmazonEC2ContainerRegistry_V20150921": SvcECR,
	"AmazonSSM":                            SvcSSM,
	"AnyScaleFrontendService":              SvcAppAutoScaling,
	"AWSEvents":                            SvcEvents,
	// CloudWatch also speaks awsJson1_0 (the AWS CLI uses it; the Go SDK
	// uses CBOR).
	"GraniteServiceVersion20100801": SvcCloudWatch,
}

// cborServices maps rpcv2 service names (the path's /service/<name>/) to
// services.
var cborServices = map[string]string{
	"GraniteServiceVersion20100801": SvcCloudWatch,
}

// maxBody bounds a request body (PutImage manifests are the largest).
const maxBody = 16 << 20

// call is one AWS request being answered.
type call struct {
	proto     protocol
	svc       string
	op        string
	query     *wire.QueryService
	requestID string
	start     time.Time
	record    RequestRecord
}

// awsError is an error to send: code, message, status and fault side.
type awsError struct {
	code    string
	message string
	status  int
	server  bool
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveControl(w, r)
		return
	}
	c := &call{start: time.Now(), requestID: s.newRequestID()}
	c.record.App = userAgentApp(r.Header.Get("User-Agent"))
	body, err := readBody(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	if isSchedulerREST(r) {
		s.serveSchedulerREST(w, r, c, body) // restJson1 (scheduler_rest.go)
		return
	}
	var (
		form   url.Values
		opName string
	)
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		c.proto = protoJSON
		prefix, name, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		c.svc, opName = jsonTargets[prefix], name
		if c.svc == "" {
			s.writeError(w, c, awsError{code: "UnknownOperationException", message: "unknown target " + r.Header.Get("X-Amz-Target"), status: 400})
			return
		}
	case strings.HasPrefix(r.URL.Path, "/service/"):
		c.proto = protoCBOR
		rest := strings.TrimPrefix(r.URL.Path, "/service/")
		svcName, opPart, _ := strings.Cut(rest, "/operation/")
		c.svc, opName = cborServices[svcName], opPart
		if c.svc == "" || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
			c.svc = SvcCloudWatch
			s.writeError(w, c, awsError{code: "UnknownOperationException", message: "unknown service or protocol for " + r.URL.Path, status: 404})
			return
		}
	default:
		form, err = parseForm(r, body)
		version := form.Get("Version")
		q := wire.Query(version)
		c.proto = protoQuery
		if q != nil && q.EC2 {
			c.proto = protoEC2
		}
		if q == nil {
			q = wire.Query("2011-01-01")
		}
		c.query, c.svc = q, q.Name
		opName = form.Get("Action")
		switch {
		case err != nil:
			s.writeError(w, c, awsError{code: "MalformedQueryString", message: err.Error(), status: 400})
			return
		case wire.Query(version) == nil:
			s.writeError(w, c, awsError{code: "InvalidAction", message: fmt.Sprintf("Could not find operation %s for version %s", opName, version), status: 400})
			return
		}
	}
	c.op = opName
	op := s.reg.Lookup(c.svc, opName)
	if op == nil || opName == "" {
		code := "UnknownOperationException"
		if c.proto == protoQuery || c.proto == protoEC2 {
			code = "InvalidAction"
		}
		s.writeError(w, c, awsError{code: code, message: fmt.Sprintf("The action %s is not valid for this web service.", opName), status: 400})
		return
	}
	c.record.Mutating = op.Mutating

	fault, done := s.injectFault(w, c, func(e awsError) { s.writeError(w, c, e) },
		awsError{code: throttleCode(c), message: "Rate exceeded", status: 400}, serverFault)
	if done {
		return
	}

	in := op.NewInput()
	if err := s.decode(c, body, form, in); err != nil {
		s.writeError(w, c, decodeError(c, err))
		return
	}
	if fault == faultDeny {
		c.record.Fault = "deny"
		s.writeError(w, c, s.sim.denyError(c.svc, c.op, in))
		return
	}
	if serve := streamOps[c.svc+"."+c.op]; serve != nil {
		serve(s, w, r, c, in) // an event stream (logs_livetail.go)
		return
	}
	buf := outBufs.Get().(*[]byte)
	payload, aerr := s.invoke(c, op, in, (*buf)[:0])
	if aerr != nil {
		s.writeError(w, c, *aerr)
	} else {
		s.writeOK(w, c, payload)
	}
	if cap(payload) <= maxPooledBuf {
		*buf = payload[:0]
		outBufs.Put(buf)
	}
}

// outBufs recycles response buffers (a DescribeServices page can be a few
// hundred KB).
var outBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledBuf = 4 << 20

// readBody reads a request body, gunzipping it when the client compressed
// it (the SDK does for CloudWatch PutMetricData).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("request body too large or unreadable")
	}
	if !strings.Contains(r.Header.Get("Content-Encoding"), "gzip") {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request body is not valid gzip")
	}
	body, err = io.ReadAll(io.LimitReader(zr, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, fmt.Errorf("request body is not valid gzip or too large")
	}
	return body, nil
}

// parseForm reads a query-protocol request's parameters (form body, and the
// URL's query string for GET requests).
func parseForm(r *http.Request, body []byte) (url.Values, error) {
	form := url.Values{}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt != "application/x-www-form-urlencoded" {
			return form, fmt.Errorf("unsupported content type %s", mt)
		}
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return form, fmt.Errorf("malformed form body: %v", err)
	}
	for k, v := range vals {
		form[k] = v
	}
	if r.URL.RawQuery != "" {
		qv, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return form, fmt.Errorf("malformed query string: %v", err)
		}
		for k, v := range qv {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
	}
	return form, nil
}

// decode fills in from the request, in the request's protocol. Decoder
// panics become decode errors.
func (s *Server) decode(c *call, body []byte, form url.Values, in any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode request: %v", r)
		}
	}()
	switch c.proto {
	case protoJSON:
		return wire.DecodeJSON(body, in)
	case protoCBOR:
		return wire.DecodeCBOR(body, in)
	default:
		return c.query.DecodeForm(form, in)
	}
}

// decodeError is the protocol's error for a body that does not fit.
func decodeError(c *call, err error) awsError {
	switch c.proto {
	case protoEC2:
		return awsError{code: "InvalidParameterValue", message: err.Error(), status: 400}
	case protoQuery:
		return awsError{code: "ValidationError", message: err.Error(), status: 400}
	}
	return awsError{code: "SerializationException", message: err.Error(), status: 400}
}

// invoke runs the operation with the account locked and encodes its output
// before unlocking (outputs may point into the account's state).
func (s *Server) invoke(c *call, op *Operation, in any, buf []byte) (payload []byte, aerr *awsError) {
	s.sim.Lock()
	defer s.sim.Unlock()
	c.record.Virtual = s.sim.now
	defer func() {
		if r := recover(); r != nil {
			if s.Logf != nil {
				s.Logf("sim: %s.%s panicked: %v\n%s", c.svc, c.op, r, debug.Stack())
			}
			e := serverFault(c, false)
			e.message = fmt.Sprintf("internal error in %s: %v", c.op, r)
			payload, aerr = nil, &e
		}
	}()
	out, err := op.Call(s.sim, in)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, &awsError{code: ae.Code, message: ae.Message, status: ae.HTTPStatus(), server: ae.Server || ae.HTTPStatus() >= 500}
		}
		e := serverFault(c, false)
		e.message = err.Error()
		return nil, &e
	}
	return s.encode(c, out, buf), nil
}

// encode writes an operation's output in the request's protocol.
func (s *Server) encode(c *call, out any, buf []byte) []byte {
	if v := reflect.ValueOf(out); !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		out = nil // an operation with nothing to say
	}
	switch c.proto {
	case protoJSON:
		if out == nil {
			return append(buf, "{}"...)
		}
		if ser, ok := out.(smithy.Serializable); ok {
			w := wire.NewJSONWriter(buf)
			ser.Serialize(w)
			return w.Bytes()
		}
		return wire.AppendJSONReflect(buf, reflect.ValueOf(out))
	case protoCBOR:
		if ser, ok := out.(smithy.Serializable); ok && out != nil {
			w := wire.NewCBORWriter(buf)
			ser.Serialize(w)
			return w.Bytes()
		}
		return append(buf, 0xa0)
	default:
		return c.query.EncodeOutput(c.op, out, c.requestID)
	}
}

func (s *Server) newRequestID() string {
	n := s.reqID.Add(1)
	return fmt.Sprintf("5a4d0000-0000-4000-8000-%012x", n)
}

// throttleCode is the throttling error code the service's SDK retries.
// injectFault applies the fault spec's decision for c before the operation
// runs: a delay, then a reset connection, a throttle (throttled) or a server
// error (fault builds it), each written by writeErr. done says the answer is
// written; the returned fault is left for the caller when it is a denial
// (which needs the decoded input).
func (s *Server) injectFault(w http.ResponseWriter, c *call, writeErr func(awsError), throttled awsError, fault func(c *call, unavailable bool) awsError) (faultKind, bool) {
	delay, f := s.sim.faults.decide(c.svc, c.op)
	if delay > 0 {
		time.Sleep(delay)
	}
	switch f {
	case faultReset:
		c.record.Fault = "reset"
		s.resetConn(w, c)
		return f, true
	case faultThrottle:
		c.record.Fault = "throttle"
		writeErr(throttled)
		return f, true
	case faultError, faultUnavailable:
		c.record.Fault = "error"
		writeErr(fault(c, f == faultUnavailable))
		return f, true
	}
	return f, false
}

func throttleCode(c *call) string {
	switch c.svc {
	case SvcEC2:
		return "RequestLimitExceeded"
	case SvcAutoScaling, SvcELBv2, SvcSTS, SvcCloudWatch:
		return "Throttling"
	}
	return "ThrottlingException"
}

// serverFault is the service's 500 (or, with unavailable, 503) error.
func serverFault(c *call, unavailable bool) awsError {
	if unavailable {
		code := "ServiceUnavailable"
		if c.svc == SvcEC2 {
			code = "Unavailable"
		}
		return awsError{code: code, message: "Service is unavailable, please retry", status: 503, server: true}
	}
	code := "InternalFailure"
	if c.svc == SvcEC2 {
		code = "InternalError"
	}
	return awsError{code: code, message: "An internal error occurred, please retry", status: 500, server: true}
}

func (s *Server) writeOK(w http.ResponseWriter, c *call, payload []byte) {
	h := w.Header()
	switch c.proto {
	case protoJSON:
		h.Set("Content-Type", jsonContentType(c))
		h.Set("X-Amzn-Requestid", c.requestID)
	case protoCBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		h.Set("X-Amzn-Requestid", c.requestID)
	default:
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Requestid", c.requestID)
	}
	setVirtualDate(h, c)
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
	s.log(c, http.StatusOK, "")
}

func (s *Server) writeError(w http.ResponseWriter, c *call, e awsError) {
	if e.status == 0 {
		e.status = 400
	}
	h := w.Header()
	var payload []byte
	switch c.proto {
	case protoJSON:
		h.Set("Content-Type", jsonContentType(c))
		h.Set("X-Amzn-Errortype", e.code)
		if c.svc == SvcCloudWatch {
			h.Set("X-Amzn-Query-Error", e.code+";"+queryFault(e))
		}
		payload = wire.JSONErrorBody(e.code, e.message)
	case protoCBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		// CloudWatch is @awsQueryCompatible: the SDK takes the code from
		// this header.
		h.Set("X-Amzn-Query-Error", e.code+";"+queryFault(e))
		payload = wire.CBORErrorBody(e.code, e.message)
	default:
		h.Set("Content-Type", "text/xml")
		payload = c.query.ErrorBody(e.code, e.message, e.server, c.requestID)
	}
	h.Set("X-Amzn-Requestid", c.requestID)
	setVirtualDate(h, c)
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(e.status)
	_, _ = w.Write(payload)
	s.log(c, e.status, e.code)
}

func queryFault(e awsError) string {
	if e.server {
		return "Receiver"
	}
	return "Sender"
}

// jsonContentType is awsJson 1.0 for CloudWatch, 1.1 for the others.
func jsonContentType(c *call) string {
	if c.svc == SvcCloudWatch {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

// resetConn drops the connection without answering.
func (s *Server) resetConn(w http.ResponseWriter, c *call) {
	s.log(c, 0, "")
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (s *Server) log(c *call, status int, code string) {
	if c.op == "" {
		return
	}
	r := c.record
	if r.Virtual.IsZero() { // refused before reaching the account
		r.Virtual = s.sim.virtualNow()
	}
	r.Service, r.Op, r.Real, r.Status, r.ErrorCode = c.svc, c.op, c.start, status, code
	r.LatencyMS = float64(time.Since(c.start).Microseconds()) / 1000
	s.sim.reqlog.add(r)
}

// virtualNow reads the virtual clock without running due events.
func (s *Sim) virtualNow() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.clock.read(); t.After(s.now) {
		return t
	}
	return s.now
}

// serveControl answers the sandbox's own endpoints (never fault-injected).
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_sandbox/health":
		writeControlJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	case "/_sandbox/report":
		writeControlJSON(w, http.StatusOK, s.sim.Report())
	case "/_sandbox/requests":
		reqs := s.sim.Requests()
		if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n >= 0 && n < len(reqs) {
			reqs = reqs[len(reqs)-n:] // the most recent n
		}
		resp := map[string]any{"requests": reqs, "counts": s.sim.RequestCounts()}
		if r.URL.Query().Get("reset") == "1" {
			s.sim.ResetRequests()
		}
		writeControlJSON(w, http.StatusOK, resp)
	case "/_sandbox/faults":
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			spec := r.URL.Query().Get("spec")
			if spec == "" {
				body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
				spec = strings.TrimSpace(string(body))
				var js struct {
					Spec string `json:"spec"`
				}
				if strings.HasPrefix(spec, "{") && json.Unmarshal(body, &js) == nil {
					spec = js.Spec
				}
			}
			f, err := ParseFaults(spec)
			if err != nil {
				writeControlJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
				return
			}
			s.sim.SetFaults(f)
		}
		writeControlJSON(w, http.StatusOK, map[string]any{"spec": s.sim.FaultsSpec()})
	case "/_sandbox/clock":
		if r.Method == http.MethodPost {
			sp, err := strconv.ParseFloat(r.URL.Query().Get("speed"), 64)
			if err != nil || !(sp > 0 && sp <= 100000) { // NaN too
				writeControlJSON(w, http.StatusBadRequest, map[string]any{"error": "speed must be a positive number"})
				return
			}
			s.sim.SetSpeed(sp)
		}
		s.sim.Lock()
		now, speed, manual := s.sim.now, s.sim.opts.Speed, s.sim.clock.manual
		s.sim.Unlock()
		writeControlJSON(w, http.StatusOK, map[string]any{"now": now, "speed": speed, "manual": manual})
	default:
		writeControlJSON(w, http.StatusNotFound, map[string]any{"error": "no such sandbox endpoint " + r.URL.Path})
	}
}

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// NewSDKHTTPClient returns an HTTP client for SDK clients that talk to the
// sandbox (aws.Config.HTTPClient). It works around a race in the SDK: its
// request body (smithy-go's internal safe reader) answers WriteTo with
// io.EOF once closed, which the SDK does as soon as response headers arrive;
// when a server answers before net/http's write loop has made its final
// check of the body — as the sandbox on loopback often does — net/http takes
// that EOF for a write error and closes the connection while the response
// body is still being read ("use of closed network connection"). With the
// default retryer the call is retried (and the sandbox logs it twice); with
// this client it does not happen.
func NewSDKHTTPClient() interface {
	Do(*http.Request) (*http.Response, error)
} {
	return sdkHTTPClient{&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
}

type sdkHTTPClient struct{ c *http.Client }

// bodyReader hides the body's WriteTo: a Read after Close returns EOF, which
// net/http handles.
type bodyReader struct{ io.ReadCloser }

func (h sdkHTTPClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = bodyReader{req.Body}
	}
	return h.c.Do(req)
}

// userAgentApp is the "app/<id>" part of an AWS SDK User-Agent.
func userAgentApp(ua string) string {
	for _, f := range strings.Fields(ua) {
		if id, ok := strings.CutPrefix(f, "app/"); ok {
			return id
		}
	}
	return ""
}
