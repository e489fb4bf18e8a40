package sim

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"ecsctl/sim/wire"
)

// filler sets every exported field of a value, recursively, to a non-zero
// value that exercises the codecs (strings needing escapes, millisecond
// timestamps, large and negative numbers). Union and document interfaces are
// left nil (see the report for why).
type filler struct {
	n     int
	stack []reflect.Type // struct types being filled (recursive types stop)
}

func (f *filler) next() int { f.n++; return f.n }

func (f *filler) fill(v reflect.Value, name string, depth int) {
	t := v.Type()
	if t == timeType {
		base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		v.Set(reflect.ValueOf(base.Add(time.Duration(f.next()) * (time.Second + 7*time.Millisecond))))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct && t.Elem() != timeType && (f.onStack(t.Elem()) || depth > 14) {
			return
		}
		p := reflect.New(t.Elem())
		f.fill(p.Elem(), name, depth)
		v.Set(p)
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d <&'\"> é", name, f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int8, reflect.Int16:
		v.SetInt(int64(f.next()%100 + 1))
	case reflect.Int32, reflect.Int:
		v.SetInt(int64(f.next()*1000 + 7))
	case reflect.Int64:
		v.SetInt(int64(f.next()) * 1_000_000_007)
	case reflect.Float32:
		v.SetFloat(float64(f.next()) + 0.5)
	case reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.25)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(fmt.Sprintf("blob-%d\x00\xff", f.next())))
			return
		}
		if f.onStack(t.Elem()) || depth > 14 || (t.Elem().Kind() == reflect.Interface && wire.UnionVariants(t.Elem()) == nil) {
			return
		}
		s := reflect.MakeSlice(t, 2, 2)
		for i := 0; i < 2; i++ {
			f.fill(s.Index(i), name, depth+1)
		}
		v.Set(s)
	case reflect.Map:
		if f.onStack(t.Elem()) || depth > 14 {
			return
		}
		m := reflect.MakeMap(t)
		for i := 1; i <= 2; i++ {
			ev := reflect.New(t.Elem()).Elem()
			f.fill(ev, name, depth+1)
			m.SetMapIndex(reflect.ValueOf(fmt.Sprintf("key%d", i)).Convert(t.Key()), ev)
		}
		v.Set(m)
	case reflect.Struct:
		f.stack = append(f.stack, t)
		for _, fi := range serdeFields(t) {
			f.fill(v.FieldByIndex(fi.Index), fi.Name, depth+1)
		}
		f.stack = f.stack[:len(f.stack)-1]
	case reflect.Interface:
		if vs := wire.UnionVariants(t); len(vs) > 0 {
			p := reflect.New(vs[f.next()%len(vs)].Elem())
			f.fill(p.Elem().FieldByName("Value"), name, depth+1)
			v.Set(p)
		}
	}
}

func (f *filler) onStack(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	for _, s := range f.stack {
		if s == t {
			return true
		}
	}
	return false
}

// filled returns a *T with every field set.
func filled[T any]() *T {
	v := new(T)
	(&filler{}).fill(reflect.ValueOf(v).Elem(), "v", 0)
	return v
}

// diff lists where got differs from want (timestamps compared as instants,
// NaN equal to NaN, ResultMetadata ignored).
func diff(want, got reflect.Value, path string, out *[]string) {
	if len(*out) > 20 {
		return
	}
	if want.Kind() != got.Kind() {
		*out = append(*out, fmt.Sprintf("%s: kind %s vs %s", path, want.Kind(), got.Kind()))
		return
	}
	if want.Type() == timeType {
		if !want.Interface().(time.Time).Equal(got.Interface().(time.Time)) {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %v", path, want.Interface(), got.Interface()))
		}
		return
	}
	switch want.Kind() {
	case reflect.Pointer, reflect.Interface:
		if want.IsNil() || got.IsNil() {
			if want.IsNil() != got.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: want nil=%v, got nil=%v", path, want.IsNil(), got.IsNil()))
			}
			return
		}
		diff(want.Elem(), got.Elem(), path, out)
	case reflect.Struct:
		if want.Type() != got.Type() {
			*out = append(*out, fmt.Sprintf("%s: type %s vs %s", path, want.Type(), got.Type()))
			return
		}
		for _, f := range serdeFields(want.Type()) {
			diff(want.FieldByIndex(f.Index), got.FieldByIndex(f.Index), path+"."+f.Name, out)
		}
	case reflect.Slice:
		if want.Len() != got.Len() {
			*out = append(*out, fmt.Sprintf("%s: len %d vs %d", path, want.Len(), got.Len()))
			return
		}
		if want.Type().Elem().Kind() == reflect.Uint8 {
			if string(want.Bytes()) != string(got.Bytes()) {
				*out = append(*out, fmt.Sprintf("%s: want %q, got %q", path, want.Bytes(), got.Bytes()))
			}
			return
		}
		for i := 0; i < want.Len(); i++ {
			diff(want.Index(i), got.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if want.Len() != got.Len() {
			*out = append(*out, fmt.Sprintf("%s: len %d vs %d", path, want.Len(), got.Len()))
			return
		}
		for _, k := range want.MapKeys() {
			gv := got.MapIndex(k)
			if !gv.IsValid() {
				*out = append(*out, fmt.Sprintf("%s[%v]: missing", path, k))
				continue
			}
			diff(want.MapIndex(k), gv, fmt.Sprintf("%s[%v]", path, k), out)
		}
	case reflect.Float32, reflect.Float64:
		a, b := want.Float(), got.Float()
		if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %v", path, a, b))
		}
	default:
		if want.Interface() != got.Interface() {
			*out = append(*out, fmt.Sprintf("%s: want %#v, got %#v", path, want.Interface(), got.Interface()))
		}
	}
}

func diffs(want, got any) []string {
	var out []string
	diff(reflect.ValueOf(want), reflect.ValueOf(got), "", &out)
	return out
}

// clients are real SDK clients pointed at a test server.
type clients struct {
	ecs  *ecs.Client
	ec2  *ec2.Client
	asg  *autoscaling.Client
	elb  *elasticloadbalancingv2.Client
	sts  *sts.Client
	logs *cloudwatchlogs.Client
	ecr  *ecr.Client
	ssm  *ssm.Client
	cw   *cloudwatch.Client
	aas  *applicationautoscaling.Client
	all  []any
}

func noBackoff(int, error) (time.Duration, error) { return time.Millisecond, nil }

func newClients(url string, maxAttempts int) *clients {
	cfg := aws.Config{
		HTTPClient:  NewSDKHTTPClient(),
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.Backoff = retry.BackoffDelayerFunc(noBackoff)
				o.RateLimiter = ratelimit.None
			})
		},
	}
	ep := aws.String(url)
	c := &clients{
		ecs:  ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = ep }),
		ec2:  ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = ep }),
		asg:  autoscaling.NewFromConfig(cfg, func(o *autoscaling.Options) { o.BaseEndpoint = ep }),
		elb:  elasticloadbalancingv2.NewFromConfig(cfg, func(o *elasticloadbalancingv2.Options) { o.BaseEndpoint = ep }),
		sts:  sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
		logs: cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = ep }),
		ecr:  ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = ep }),
		ssm:  ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = ep }),
		cw:   cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = ep }),
		aas:  applicationautoscaling.NewFromConfig(cfg, func(o *applicationautoscaling.Options) { o.BaseEndpoint = ep }),
	}
	c.all = []any{c.ecs, c.ec2, c.asg, c.elb, c.sts, c.logs, c.ecr, c.ssm, c.cw, c.aas}
	return c
}

// clientOf returns the client of type C.
func clientOf[C any](c *clients) C {
	for _, cl := range c.all {
		if v, ok := cl.(C); ok {
			return v
		}
	}
	panic("no client of this type")
}

// testEnv is a server over a fresh account with its own registry.
type testEnv struct {
	sim *Sim
	reg *Registry
	srv *httptest.Server
	c   *clients
}

func newTestEnv(t *testing.T, maxAttempts int) *testEnv {
	t.Helper()
	s := New(Options{ManualClock: true, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	reg := NewRegistry()
	srv := httptest.NewServer(NewServer(s, reg))
	t.Cleanup(srv.Close)
	return &testEnv{sim: s, reg: reg, srv: srv, c: newClients(srv.URL, maxAttempts)}
}

// opCase is one operation called through its SDK client.
type opCase struct {
	svc, op string
	// run registers the operation in env (serving out, capturing the input)
	// and calls it with in through the client; it returns the problems found.
	run func(t *testing.T, env *testEnv) []string
}

// rt builds a round-trip case: a fully populated input goes out, a fully
// populated output comes back, both must arrive unchanged.
func rt[C, I, O, Opt any](svc, op string, method func(C, context.Context, *I, ...func(*Opt)) (*O, error)) opCase {
	return opCase{svc: svc, op: op, run: func(t *testing.T, env *testEnv) []string {
		in, out := filled[I](), filled[O]()
		var got *I
		Handle(env.reg, svc, op, func(s *Sim, i *I) (*O, error) { got = i; return out, nil })
		res, err := method(clientOf[C](env.c), context.Background(), in)
		if err != nil {
			return []string{"call: " + err.Error()}
		}
		var problems []string
		for _, d := range diffs(out, res) {
			problems = append(problems, "output"+d)
		}
		if got == nil {
			return append(problems, "the operation was not called")
		}
		for _, d := range diffs(in, got) {
			problems = append(problems, "input"+d)
		}
		return problems
	}}
}

func joinProblems(p []string) string { return strings.Join(p, "\n\t") }

var timeType = reflect.TypeOf(time.Time{})

// serdeFields are the fields of an SDK struct that travel on the wire: the
// exported ones but the result metadata.
func serdeFields(t reflect.Type) []reflect.StructField {
	var fs []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && f.Type != reflect.TypeOf(middleware.Metadata{}) {
			fs = append(fs, f)
		}
	}
	return fs
}
