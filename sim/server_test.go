package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// errCase calls one operation of each protocol family whose handler the test
// registers (or leaves unregistered).
type errCase struct {
	svc, op  string
	register func(r *Registry, err error)
	call     func(c *clients) error
}

func ecsCase() errCase {
	return errCase{SvcECS, "DescribeServices",
		func(r *Registry, err error) {
			Handle(r, SvcECS, "DescribeServices", func(*Sim, *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
				if err != nil {
					return nil, err
				}
				return &ecs.DescribeServicesOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}})
			return err
		}}
}

func ec2Case() errCase {
	return errCase{SvcEC2, "DescribeInstances",
		func(r *Registry, err error) {
			Handle(r, SvcEC2, "DescribeInstances", func(*Sim, *ec2.DescribeInstancesInput) (*ec2.DescribeInstancesOutput, error) {
				if err != nil {
					return nil, err
				}
				return &ec2.DescribeInstancesOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.ec2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-1"}})
			return err
		}}
}

func asgCase() errCase {
	return errCase{SvcAutoScaling, "DescribeAutoScalingGroups",
		func(r *Registry, err error) {
			Handle(r, SvcAutoScaling, "DescribeAutoScalingGroups", func(*Sim, *autoscaling.DescribeAutoScalingGroupsInput) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
				if err != nil {
					return nil, err
				}
				return &autoscaling.DescribeAutoScalingGroupsOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{})
			return err
		}}
}

func cwCase() errCase {
	return errCase{SvcCloudWatch, "GetMetricData",
		func(r *Registry, err error) {
			Handle(r, SvcCloudWatch, "GetMetricData", func(*Sim, *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
				if err != nil {
					return nil, err
				}
				return &cloudwatch.GetMetricDataOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.cw.GetMetricData(context.Background(), filled[cloudwatch.GetMetricDataInput]())
			return err
		}}
}

func aasCase() errCase {
	return errCase{SvcAppAutoScaling, "DescribeScalableTargets",
		func(r *Registry, err error) {
			Handle(r, SvcAppAutoScaling, "DescribeScalableTargets", func(*Sim, *applicationautoscaling.DescribeScalableTargetsInput) (*applicationautoscaling.DescribeScalableTargetsOutput, error) {
				if err != nil {
					return nil, err
				}
				return &applicationautoscaling.DescribeScalableTargetsOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.aas.DescribeScalableTargets(context.Background(), &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: "ecs"})
			return err
		}}
}

func stsCase() errCase {
	return errCase{SvcSTS, "GetCallerIdentity",
		func(r *Registry, err error) {
			Handle(r, SvcSTS, "GetCallerIdentity", func(*Sim, *sts.GetCallerIdentityInput) (*sts.GetCallerIdentityOutput, error) {
				if err != nil {
					return nil, err
				}
				return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012")}, nil
			})
		},
		func(c *clients) error {
			_, err := c.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			return err
		}}
}

func logsCase() errCase {
	return errCase{SvcLogs, "GetLogEvents",
		func(r *Registry, err error) {
			Handle(r, SvcLogs, "GetLogEvents", func(*Sim, *cloudwatchlogs.GetLogEventsInput) (*cloudwatchlogs.GetLogEventsOutput, error) {
				if err != nil {
					return nil, err
				}
				return &cloudwatchlogs.GetLogEventsOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.logs.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{LogStreamName: aws.String("s")})
			return err
		}}
}

func elbCase() errCase {
	return errCase{SvcELBv2, "DescribeTargetHealth",
		func(r *Registry, err error) {
			Handle(r, SvcELBv2, "DescribeTargetHealth", func(*Sim, *elb.DescribeTargetHealthInput) (*elb.DescribeTargetHealthOutput, error) {
				if err != nil {
					return nil, err
				}
				return &elb.DescribeTargetHealthOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String("arn")})
			return err
		}}
}

func ecrCase() errCase {
	return errCase{SvcECR, "DescribeRepositories",
		func(r *Registry, err error) {
			Handle(r, SvcECR, "DescribeRepositories", func(*Sim, *ecr.DescribeRepositoriesInput) (*ecr.DescribeRepositoriesOutput, error) {
				if err != nil {
					return nil, err
				}
				return &ecr.DescribeRepositoriesOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.ecr.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{})
			return err
		}}
}

func ssmCase() errCase {
	return errCase{SvcSSM, "GetParameter",
		func(r *Registry, err error) {
			Handle(r, SvcSSM, "GetParameter", func(*Sim, *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
				if err != nil {
					return nil, err
				}
				return &ssm.GetParameterOutput{}, nil
			})
		},
		func(c *clients) error {
			_, err := c.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
			return err
		}}
}

func allErrCases() []errCase {
	return []errCase{ecsCase(), ec2Case(), asgCase(), cwCase(), aasCase(), stsCase(), logsCase(), elbCase(), ecrCase(), ssmCase()}
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestAPIErrorsReachTheSDKInEachProtocol(t *testing.T) {
	codes := map[string]string{
		SvcECS: "ClusterNotFoundException", SvcEC2: "InvalidInstanceID.NotFound", SvcAutoScaling: "ValidationError",
		SvcCloudWatch: "InvalidParameterValue", SvcAppAutoScaling: "ValidationException", SvcSTS: "ExpiredToken",
		SvcLogs: "ResourceNotFoundException", SvcELBv2: "TargetGroupNotFound", SvcECR: "RepositoryNotFoundException",
		SvcSSM: "ParameterNotFound",
	}
	for _, tc := range allErrCases() {
		t.Run(tc.svc, func(t *testing.T) {
			env := newTestEnv(t, 1)
			code := codes[tc.svc]
			msg := fmt.Sprintf("The thing 'x<&>' was not found in %s", tc.svc)
			tc.register(env.reg, apiErr(code, "%s", msg))
			err := tc.call(env.c)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("want an APIError, got %v", err)
			}
			if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
				t.Errorf("got code %q message %q, want %q %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
			}
			if st := httpStatus(err); st != 400 {
				t.Errorf("HTTP status %d, want 400", st)
			}
			recs := env.sim.Requests()
			if len(recs) != 1 || recs[0].ErrorCode != code || recs[0].Status != 400 || recs[0].Op != tc.op {
				t.Errorf("request log: %+v", recs)
			}
		})
	}
}

func TestUnknownOperationErrors(t *testing.T) {
	want := map[string]string{SvcECS: "UnknownOperationException", SvcCloudWatch: "UnknownOperationException",
		SvcEC2: "InvalidAction", SvcAutoScaling: "InvalidAction", SvcSTS: "InvalidAction", SvcLogs: "UnknownOperationException"}
	for _, tc := range allErrCases() {
		code, ok := want[tc.svc]
		if !ok {
			continue
		}
		t.Run(tc.svc, func(t *testing.T) {
			env := newTestEnv(t, 1)
			err := tc.call(env.c) // nothing registered
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != code {
				t.Fatalf("got %v, want error code %s", err, code)
			}
		})
	}
}

func TestPanickingOperationIsAnInternalError(t *testing.T) {
	for _, tc := range []errCase{ecsCase(), ec2Case(), asgCase(), cwCase()} {
		t.Run(tc.svc, func(t *testing.T) {
			env := newTestEnv(t, 1)
			var logged []string
			env.srv.Config.Handler.(*Server).Logf = func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }
			var nilMap map[string]int
			tc.register(env.reg, nil)
			op := env.reg.Lookup(tc.svc, tc.op)
			op.call = func(*Sim, any) (any, error) { nilMap["boom"] = 1; return nil, nil }
			err := tc.call(env.c)
			var ae smithy.APIError
			if !errors.As(err, &ae) || !strings.HasPrefix(ae.ErrorCode(), "Internal") || httpStatus(err) != 500 {
				t.Fatalf("got %v (status %d), want a 500 internal error", err, httpStatus(err))
			}
			if len(logged) != 1 || !strings.Contains(logged[0], "panicked: assignment to entry in nil map") {
				t.Errorf("logged %q", logged)
			}
			// The account lock was released: the next call is answered.
			op.call = func(*Sim, any) (any, error) { return nil, errors.New("plain error") }
			if err := tc.call(env.c); httpStatus(err) != 500 {
				t.Fatalf("second call: %v", err)
			}
		})
	}
}

func TestThrottlingAndServerFaultsAreRetriedBySDK(t *testing.T) {
	for _, spec := range []string{"throttle=0.3", "error=0.3", "reset=0.2", "throttle=0.2,error=0.1,reset=0.05,latency=1ms"} {
		t.Run(spec, func(t *testing.T) {
			env := newTestEnv(t, 12)
			f, err := ParseFaults(spec)
			if err != nil {
				t.Fatal(err)
			}
			env.sim.SetFaults(f)
			cases := allErrCases()
			for _, tc := range cases {
				tc.register(env.reg, nil)
			}
			for i := 0; i < 8; i++ {
				for _, tc := range cases {
					if err := tc.call(env.c); err != nil {
						t.Fatalf("%s call %d failed despite retries: %v", tc.svc, i, err)
					}
				}
			}
			faults := map[string]int{}
			for _, r := range env.sim.Requests() {
				faults[r.Fault]++
				if r.Fault == "throttle" {
					if want := throttleCode(&call{svc: r.Service}); r.ErrorCode != want || r.Status != 400 {
						t.Errorf("throttled %s.%s answered %d %s, want 400 %s", r.Service, r.Op, r.Status, r.ErrorCode, want)
					}
				}
				if r.Fault == "error" && r.Status != 500 && r.Status != 503 {
					t.Errorf("error fault answered %d", r.Status)
				}
			}
			if faults[""] != 8*len(cases) {
				t.Errorf("%d successful calls logged, want %d", faults[""], 8*len(cases))
			}
			if faults["throttle"]+faults["error"]+faults["reset"] == 0 {
				t.Errorf("no fault injected: %v", faults)
			}
		})
	}
}

func TestThrottleCodesPerService(t *testing.T) {
	want := map[string]string{SvcECS: "ThrottlingException", SvcLogs: "ThrottlingException", SvcECR: "ThrottlingException",
		SvcSSM: "ThrottlingException", SvcAppAutoScaling: "ThrottlingException", SvcEC2: "RequestLimitExceeded",
		SvcAutoScaling: "Throttling", SvcELBv2: "Throttling", SvcSTS: "Throttling", SvcCloudWatch: "Throttling"}
	env := newTestEnv(t, 1)
	env.sim.SetFaults(&Faults{rules: map[string]faultRule{"": {Throttle: ptrTo(1.0)}}})
	for _, tc := range allErrCases() {
		tc.register(env.reg, nil)
		err := tc.call(env.c)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != want[tc.svc] || httpStatus(err) != 400 {
			t.Errorf("%s: got %v, want %s", tc.svc, err, want[tc.svc])
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestMalformedBodiesGetProtocolErrors(t *testing.T) {
	env := newTestEnv(t, 1)
	for _, tc := range allErrCases() {
		tc.register(env.reg, nil)
	}
	post := func(hdr map[string]string, path, body string) (int, string) {
		req, _ := http.NewRequest("POST", env.srv.URL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ecsHdr := map[string]string{"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeServices", "Content-Type": "application/x-amz-json-1.1"}
	cwHdr := map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	cwPath := "/service/GraniteServiceVersion20100801/operation/GetMetricData"
	tests := []struct {
		name, path, body string
		hdr              map[string]string
		status           int
		contains         string
	}{
		{"json not json", "/", `{"services": [`, ecsHdr, 400, "SerializationException"},
		{"json wrong type", "/", `{"services": "api"}`, ecsHdr, 400, "SerializationException"},
		{"json array", "/", `[1,2]`, ecsHdr, 400, "SerializationException"},
		{"json ok", "/", `{"services": ["api"], "cluster": "prod"}`, ecsHdr, 200, "{"},
		{"cbor garbage", cwPath, "\xbf\x63abc\x1b", cwHdr, 400, "SerializationException"},
		{"cbor not a map", cwPath, "\x83\x01\x02\x03", cwHdr, 400, "SerializationException"},
		{"ec2 bad int", "/", "Action=DescribeInstances&Version=2016-11-15&MaxResults=lots", form, 400, "<Code>InvalidParameterValue</Code>"},
		{"ec2 bad index", "/", "Action=DescribeInstances&Version=2016-11-15&InstanceId.x=i-1", form, 400, "<Code>InvalidParameterValue</Code>"},
		{"query bad bool", "/", "Action=DescribeAutoScalingGroups&Version=2011-01-01&IncludeInstances=maybe", form, 400, "<Code>ValidationError</Code>"},
		{"query bad escape", "/", "Action=DescribeAutoScalingGroups&Version=2011-01-01&X=%zz", form, 400, "<Code>MalformedQueryString</Code>"},
		{"query unknown version", "/", "Action=DescribeAutoScalingGroups&Version=1999-01-01", form, 400, "<Code>InvalidAction</Code>"},
		{"query no action", "/", "Version=2011-01-01", form, 400, "<Code>InvalidAction</Code>"},
		{"json unknown target", "/", `{}`, map[string]string{"X-Amz-Target": "Nope_1.Do"}, 400, "UnknownOperationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body := post(tt.hdr, tt.path, tt.body)
			if st != tt.status || !strings.Contains(body, tt.contains) {
				t.Errorf("got %d %q, want %d containing %q", st, body, tt.status, tt.contains)
			}
		})
	}
}

func TestSandboxControlEndpoints(t *testing.T) {
	env := newTestEnv(t, 1)
	tc := ecsCase()
	tc.register(env.reg, nil)
	get := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, env.srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if err := tc.call(env.c); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{"GET", "/_sandbox/health", "", 200, `"ok"`},
		{"GET", "/_sandbox/report", "", 200, `"servicesBelowMinimumHealthy"`},
		{"GET", "/_sandbox/requests", "", 200, `"ecs.DescribeServices": 1`},
		{"GET", "/_sandbox/requests?reset=1", "", 200, `"op": "DescribeServices"`},
		{"GET", "/_sandbox/requests", "", 200, `"counts": {}`},
		{"POST", "/_sandbox/faults", "ecs.DescribeServices:throttle=1,latency=2ms", 200, `"spec": "latency=2ms,ecs.DescribeServices:throttle=1"`},
		{"GET", "/_sandbox/faults", "", 200, `ecs.DescribeServices:throttle=1`},
		{"POST", "/_sandbox/faults", "ecs.DescribeServices:throttle=2", 400, `throttle must be a probability`},
		{"POST", "/_sandbox/faults?spec=" + url.QueryEscape("bogus:error=0.1"), "", 400, `unknown service \"bogus\"`},
		{"GET", "/_sandbox/clock", "", 200, `"now": "2026-01-02T03:04:05Z"`},
		{"POST", "/_sandbox/clock?speed=60", "", 200, `"speed": 60`},
		{"POST", "/_sandbox/clock?speed=-1", "", 400, `speed must be`},
		{"GET", "/_sandbox/nope", "", 404, `no such sandbox endpoint`},
	}
	for _, st := range steps {
		code, body := get(st.method, st.path, st.body)
		if code != st.status || !strings.Contains(body, st.contains) {
			t.Errorf("%s %s: got %d %s, want %d containing %s", st.method, st.path, code, body, st.status, st.contains)
		}
	}
	// The throttle set at run time applies to the next AWS call.
	var ae smithy.APIError
	if err := tc.call(env.c); !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("after setting faults: %v", err)
	}
	if got := env.sim.RequestCounts()["ecs.DescribeServices"]; got != 1 {
		t.Errorf("counter after reset and one call = %d", got)
	}
}

func TestRequestLogRecordsMutationsAndVirtualTime(t *testing.T) {
	env := newTestEnv(t, 1)
	Handle(env.reg, SvcECS, "UpdateService", func(s *Sim, in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
		return &ecs.UpdateServiceOutput{Service: &ecstypes.Service{ServiceName: in.Service}}, nil
	})
	ecsCase().register(env.reg, nil)
	ctx := context.Background()
	if _, err := env.c.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("api"), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	env.sim.Advance(90 * 1e9)
	if err := ecsCase().call(env.c); err != nil {
		t.Fatal(err)
	}
	all, mut := env.sim.Requests(), env.sim.MutatingRequests()
	if len(all) != 2 || len(mut) != 1 || mut[0].Op != "UpdateService" || !mut[0].Mutating || mut[0].Status != 200 {
		t.Fatalf("requests %+v, mutating %+v", all, mut)
	}
	if d := all[1].Virtual.Sub(all[0].Virtual); d.Seconds() != 90 {
		t.Errorf("virtual times %v and %v, want 90s apart", all[0].Virtual, all[1].Virtual)
	}
	env.sim.ResetRequests()
	if len(env.sim.Requests()) != 0 || len(env.sim.RequestCounts()) != 0 {
		t.Error("reset left records")
	}
}

func TestRequestLogIsBounded(t *testing.T) {
	var l requestLog
	for i := 0; i < requestLogSize+5; i++ {
		l.add(RequestRecord{Service: "ecs", Op: fmt.Sprint(i)})
	}
	recs := l.records(nil)
	if len(recs) != requestLogSize || recs[0].Op != "5" || recs[len(recs)-1].Op != fmt.Sprint(requestLogSize+4) {
		t.Fatalf("kept %d, first %s, last %s", len(recs), recs[0].Op, recs[len(recs)-1].Op)
	}
	if c := l.countsCopy(); len(c) != requestLogSize+5 {
		t.Errorf("counters: %d", len(c))
	}
}

// BenchmarkDescribeServicesServer measures the server's side of a
// DescribeServices of 10 fully populated services with 100 events each
// (decode, lock, call, encode, write).
func BenchmarkDescribeServicesServer(b *testing.B) {
	reg := NewRegistry()
	out := &ecs.DescribeServicesOutput{}
	for i := 0; i < 10; i++ {
		svc := filled[ecstypes.Service]()
		ev := svc.Events[0]
		svc.Events = nil
		for j := 0; j < 100; j++ {
			svc.Events = append(svc.Events, ev)
		}
		out.Services = append(out.Services, *svc)
	}
	Handle(reg, SvcECS, "DescribeServices", func(*Sim, *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) { return out, nil })
	srv := NewServer(New(Options{ManualClock: true}), reg)
	body := []byte(`{"cluster":"prod","services":["s0","s1","s2","s3","s4","s5","s6","s7","s8","s9"],"include":["TAGS"]}`)
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/resp")
}

// BenchmarkDescribeServicesSDK is the same call made by the real SDK client
// over loopback (client decoding included).
func BenchmarkDescribeServicesSDK(b *testing.B) {
	reg := NewRegistry()
	out := &ecs.DescribeServicesOutput{}
	for i := 0; i < 10; i++ {
		svc := filled[ecstypes.Service]()
		out.Services = append(out.Services, *svc)
	}
	Handle(reg, SvcECS, "DescribeServices", func(*Sim, *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) { return out, nil })
	hs := httptest.NewServer(NewServer(New(Options{ManualClock: true}), reg))
	defer hs.Close()
	c := newClients(hs.URL, 1)
	in := &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}}
	for b.Loop() {
		if _, err := c.ecs.DescribeServices(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNilOutputsAreEmptyResponses(t *testing.T) {
	env := newTestEnv(t, 1)
	Handle(env.reg, SvcECS, "DeleteAttributes", func(*Sim, *ecs.DeleteAttributesInput) (*ecs.DeleteAttributesOutput, error) { return nil, nil })
	Handle(env.reg, SvcAutoScaling, "SetDesiredCapacity", func(*Sim, *autoscaling.SetDesiredCapacityInput) (*autoscaling.SetDesiredCapacityOutput, error) {
		return nil, nil
	})
	Handle(env.reg, SvcAutoScaling, "CompleteLifecycleAction", func(*Sim, *autoscaling.CompleteLifecycleActionInput) (*autoscaling.CompleteLifecycleActionOutput, error) {
		return nil, nil
	})
	Handle(env.reg, SvcCloudWatch, "PutMetricData", func(*Sim, *cloudwatch.PutMetricDataInput) (*cloudwatch.PutMetricDataOutput, error) { return nil, nil })
	Handle(env.reg, SvcEC2, "CreateTags", func(*Sim, *ec2.CreateTagsInput) (*ec2.CreateTagsOutput, error) { return nil, nil })
	Handle(env.reg, SvcAppAutoScaling, "DeregisterScalableTarget", func(*Sim, *applicationautoscaling.DeregisterScalableTargetInput) (*applicationautoscaling.DeregisterScalableTargetOutput, error) {
		return nil, nil
	})
	ctx := context.Background()
	calls := map[string]func() error{
		"ecs": func() error {
			_, err := env.c.ecs.DeleteAttributes(ctx, &ecs.DeleteAttributesInput{Attributes: []ecstypes.Attribute{{Name: aws.String("a")}}})
			return err
		},
		"asg": func() error {
			_, err := env.c.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("g"), DesiredCapacity: aws.Int32(2)})
			return err
		},
		"asg-lifecycle": func() error {
			_, err := env.c.asg.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String("g"), LifecycleHookName: aws.String("h"), LifecycleActionResult: aws.String("CONTINUE")})
			return err
		},
		"cw": func() error {
			_, err := env.c.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("ns")})
			return err
		},
		"ec2": func() error {
			_, err := env.c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"i-1"}, Tags: []ec2types.Tag{{Key: aws.String("k")}}})
			return err
		},
		"aas": func() error {
			_, err := env.c.aas.DeregisterScalableTarget(ctx, &applicationautoscaling.DeregisterScalableTargetInput{ResourceId: aws.String("r"), ScalableDimension: "ecs:service:DesiredCount", ServiceNamespace: "ecs"})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
