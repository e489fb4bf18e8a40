package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"ecsctl/sim/wire"
)

// The sandbox's decoders beyond FuzzDecoders (four operations through a
// registry of stubs): every operation the sandbox serves, through the real
// handlers of a loaded account; the world file; the saved state; the fault
// spec. Seed corpora in testdata/fuzz/<name>/ run in every `go test`; to
// search longer:
//
//	go test ./sim -run XXX -fuzz FuzzEveryOperation -fuzztime 120s
//	go test ./sim -run XXX -fuzz FuzzParseWorld -fuzztime 60s
//	go test ./sim -run XXX -fuzz FuzzLoadState -fuzztime 60s
//	go test ./sim -run XXX -fuzz FuzzParseFaults -fuzztime 30s

// fuzzOps lists every registered operation, in a fixed order, so that a
// uint16 picks one.
var fuzzOps = sync.OnceValue(func() []*Operation {
	var out []*Operation
	svcs := []string{SvcECS, SvcEC2, SvcAutoScaling, SvcELBv2, SvcCloudWatch, SvcLogs, SvcECR, SvcSSM, SvcSTS, SvcAppAutoScaling}
	for _, svc := range svcs {
		for _, name := range DefaultRegistry.Operations(svc) {
			out = append(out, DefaultRegistry.Lookup(svc, name))
		}
	}
	return out
})

// fuzzRequest builds the request a client of op's service would send, with
// body as the payload (JSON, CBOR, or query parameters after Action and
// Version).
func fuzzRequest(op *Operation, body []byte) *http.Request {
	jsonPrefix := map[string]string{}
	for prefix, svc := range jsonTargets {
		if svc != SvcCloudWatch {
			jsonPrefix[svc] = prefix
		}
	}
	queryVersion := map[string]string{}
	for _, v := range wire.QueryVersions() {
		if q := wire.Query(v); q.Name != SvcCloudWatch {
			queryVersion[q.Name] = v
		}
	}
	switch {
	case op.Service == SvcCloudWatch:
		req := httptest.NewRequest("POST", "/service/GraniteServiceVersion20100801/operation/"+op.Name, bytes.NewReader(body))
		req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		req.Header.Set("Content-Type", "application/cbor")
		return req
	case jsonPrefix[op.Service] != "":
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", jsonPrefix[op.Service]+"."+op.Name)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		return req
	default:
		form := "Action=" + op.Name + "&Version=" + queryVersion[op.Service]
		if len(body) > 0 {
			form += "&" + string(body)
		}
		req := httptest.NewRequest("POST", "/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
}

// FuzzEveryOperation sends arbitrary payloads to every operation of the
// loaded small world. Properties: the answer is 200 or a 4xx client error
// (never a 5xx, a panic or a hang), in the protocol's own form (JSON for
// awsJson, XML for the query protocols, CBOR for CloudWatch), and the request
// log records the call with its mutating flag.
func FuzzEveryOperation(f *testing.F) {
	s := New(Options{ManualClock: true, Seed: 1})
	w, err := BuiltinWorld("small")
	if err != nil {
		f.Fatal(err)
	}
	if err := s.LoadWorld(w); err != nil {
		f.Fatal(err)
	}
	srv := NewServer(s, DefaultRegistry)
	ops := fuzzOps()
	f.Fuzz(func(t *testing.T, sel uint16, body []byte) {
		op := ops[int(sel)%len(ops)]
		s.ResetRequests()
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, fuzzRequest(op, body))
		out := rec.Body.Bytes()
		if rec.Code != 200 && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("%s.%s: status %d for %q: %s", op.Service, op.Name, rec.Code, body, out)
		}
		switch {
		case op.Service == SvcCloudWatch:
			if len(out) == 0 || out[0]>>5 != 5 { // a CBOR map
				t.Fatalf("%s.%s: answer is not a CBOR map: %x", op.Service, op.Name, out)
			}
		case rec.Header().Get("Content-Type") == "text/xml" || bytes.HasPrefix(out, []byte("<")):
			if !bytes.HasPrefix(bytes.TrimSpace(out), []byte("<")) {
				t.Fatalf("%s.%s: answer is not XML: %q", op.Service, op.Name, out)
			}
		default:
			if !json.Valid(out) {
				t.Fatalf("%s.%s: answer is not JSON: %q", op.Service, op.Name, out)
			}
		}
		// Every answered call is in the request log (a body that is not even
		// a form is refused before it is one).
		reqs := s.Requests()
		if rec.Code == 200 && len(reqs) != 1 {
			t.Fatalf("%s.%s: answered but the request log has %d records", op.Service, op.Name, len(reqs))
		}
		if len(reqs) == 1 && (reqs[0].Op != op.Name || reqs[0].Mutating != op.Mutating || reqs[0].Status != rec.Code) {
			t.Fatalf("%s.%s: status %d, request log %+v", op.Service, op.Name, rec.Code, reqs[0])
		}
	})
}

// FuzzParseWorld: a world file either fails with a one-line error naming
// the world, or is a world that prints back to JSON and parses to the same
// world; loading it into an account answers (an error or not) and, when
// it loads, the account saves and loads back.
func FuzzParseWorld(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWorld(data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "world: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line starting with 'world: '", msg)
			}
			return
		}
		again, err := json.Marshal(w)
		if err != nil {
			t.Fatalf("a parsed world does not print: %v", err)
		}
		w2, err := ParseWorld(again)
		if err != nil {
			t.Fatalf("a printed world does not parse: %v\n%s", err, again)
		}
		if third, _ := json.Marshal(w2); !bytes.Equal(third, again) {
			t.Fatalf("world does not round-trip:\n%s\n%s", again, third)
		}
		if !fuzzSmallCounts(reflect.ValueOf(w)) {
			return // a world of millions of instances is for a benchmark, not a fuzzer
		}
		s := New(Options{ManualClock: true, Seed: 1})
		if s.LoadWorld(w) != nil {
			return
		}
		var buf bytes.Buffer
		if err := s.Save(&buf); err != nil {
			t.Fatalf("a loaded world does not save: %v", err)
		}
		if _, err := Load(bytes.NewReader(buf.Bytes()), Options{ManualClock: true}); err != nil {
			t.Fatalf("a saved world does not load: %v", err)
		}
	})
}

// fuzzSmallCounts reports whether every integer in v is at most 64.
func fuzzSmallCounts(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || fuzzSmallCounts(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && !fuzzSmallCounts(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice:
		if v.Len() > 64 {
			return false
		}
		for i := 0; i < v.Len(); i++ {
			if !fuzzSmallCounts(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if !fuzzSmallCounts(iter.Value()) {
				return false
			}
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return v.Int() <= 64
	case reflect.Float64:
		return v.Float() <= 64
	}
	return true
}

// FuzzLoadState: a damaged state file (ecsctl sandbox --state, the
// --sandbox cache) is refused with an error or loads into an account that
// saves again; it never panics.
func FuzzLoadState(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(bytes.NewReader(data), Options{ManualClock: true})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sandbox state: ") {
				t.Fatalf("error %q does not say it is the sandbox state", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := s.Save(&buf); err != nil {
			t.Fatalf("a loaded state does not save: %v", err)
		}
	})
}

// FuzzParseFaults: a fault spec that parses prints as a spec that parses to
// the same faults (what GET /_sandbox/faults shows can be POSTed back), and
// probabilities stay within 0..1.
func FuzzParseFaults(f *testing.F) {
	f.Fuzz(func(t *testing.T, spec string) {
		fs, err := ParseFaults(spec)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "faults: ") {
				t.Fatalf("error %q does not name the faults", err)
			}
			return
		}
		printed := fs.String()
		again, err := ParseFaults(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", spec, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q printed as %q, then as %q", spec, printed, again.String())
		}
		for scope, r := range fs.rules {
			for _, p := range []*float64{r.Throttle, r.Error, r.Reset} {
				if p != nil && !(*p >= 0 && *p <= 1) {
					t.Fatalf("%q: scope %q has probability %v", spec, scope, *p)
				}
			}
		}
	})
}
