package cmd

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/render"
	"ecsctl/sim"
)

// sandbox is a running sandbox for an end-to-end test: ecsctl reaches it
// over HTTP through AWS_ENDPOINT_URL with the real SDK clients, and the
// test inspects what happened through the same APIs and the sim itself.
type sandbox struct {
	t   testing.TB
	sim *sim.Sim
	url string
	ecs *ecs.Client
	ecr *ecr.Client
	env map[string]string // what ecsctl is given to reach it
	// pinned, if set, is the overviews' "now" for every run against this
	// sandbox (a frozen sandbox's virtual time).
	pinned ops.Clock
}

// e2eSpeed runs the virtual clock fast enough that a rolling deploy with a
// 300 s deregistration delay takes about a second of real time.
const e2eSpeed = 600

func startSandbox(t testing.TB, world string, faults string) *sandbox {
	t.Helper()
	w, err := sim.BuiltinWorld(world)
	if err != nil {
		t.Fatal(err)
	}
	return startSandboxWorld(t, w, faults)
}

// startSandboxWorld is startSandbox for a world the test built or changed.
func startSandboxWorld(t testing.TB, w *sim.World, faults string) *sandbox {
	t.Helper()
	s := sim.New(sim.Options{Seed: 7, Speed: e2eSpeed, PageSize: 5})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	if faults != "" {
		f, err := sim.ParseFaults(faults)
		if err != nil {
			t.Fatal(err)
		}
		s.SetFaults(f)
	}
	return serveSandbox(t, s)
}

// serveSandbox serves s over loopback HTTP for the rest of the test and
// points ecsctl (run in-process) at it the way a user would, with
// AWS_ENDPOINT_URL and dummy credentials: through the process environment
// for a serial test, through the run's context and IO for a test marked
// with parallel() (see run and e2eContext).
func serveSandbox(t testing.TB, s *sim.Sim) *sandbox {
	t.Helper()
	srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
	t.Cleanup(srv.Close)
	env := map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": testSecretAccessKey, "AWS_SESSION_TOKEN": testSessionToken,
		"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "ECSCTL_POLL_INTERVAL": "", "ECSCTL_CLUSTER": "",
		"ECSCTL_SANDBOX_SPEED": strconv.FormatFloat(s.Speed(), 'f', -1, 64)}
	if !isParallel(t) {
		for k, v := range env {
			t.Setenv(k, v)
		}
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL),
		// The test's own reads retry as ecsctl does (the sandbox may throttle).
		Retryer: retryer(max(s.Speed(), 2))}
	sb := &sandbox{t: t, sim: s, url: srv.URL, ecs: ecs.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg), env: env}
	sandboxes.Store(t.Name(), sb)
	t.Cleanup(func() { sandboxes.CompareAndDelete(t.Name(), sb) })
	return sb
}

// sandboxes maps a test's name to the sandbox it serves (its last one).
var sandboxes sync.Map

// parallelTests holds the names of the tests marked with parallel().
var parallelTests sync.Map

// parallel marks t to run in parallel with the other parallel tests: its
// sandboxes then never touch the process environment.
func parallel(t *testing.T) {
	t.Helper()
	t.Parallel()
	parallelTests.Store(t.Name(), true)
}

// testAncestry lists t's name and its parents' names, innermost first.
func testAncestry(t testing.TB) []string {
	name := t.Name()
	out := []string{name}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '/' {
			out = append(out, name[:i])
		}
	}
	return out
}

// isParallel reports whether t or one of its parents is marked parallel.
func isParallel(t testing.TB) bool {
	for _, n := range testAncestry(t) {
		if _, ok := parallelTests.Load(n); ok {
			return true
		}
	}
	return false
}

// sandboxFor is the sandbox t (or its nearest parent) serves, or nil.
func sandboxFor(t testing.TB) *sandbox {
	for _, n := range testAncestry(t) {
		if sb, ok := sandboxes.Load(n); ok {
			return sb.(*sandbox)
		}
	}
	return nil
}

// getenv is the environment ecsctl sees in a parallel test: the sandbox's
// variables over the process's.
func (sb *sandbox) getenv(k string) string {
	if v, ok := sb.env[k]; ok {
		return v
	}
	return os.Getenv(k)
}

// awsOptions configure an in-process run for this sandbox without the
// process environment (explicit options win over what the SDK reads).
func (sb *sandbox) awsOptions() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithRegion(sb.env["AWS_REGION"]),
		config.WithBaseEndpoint(sb.url),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sb.env["AWS_ACCESS_KEY_ID"], sb.env["AWS_SECRET_ACCESS_KEY"], sb.env["AWS_SESSION_TOKEN"])),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	}
}

// e2eContext prepares an in-process run of ecsctl in t: in a parallel test
// it gives ios the sandbox's environment and returns a context that carries
// its AWS configuration; in a serial test the process environment does both.
func e2eContext(t testing.TB, ctx context.Context, ios *render.IO) context.Context {
	sb := sandboxFor(t)
	if sb != nil && sb.pinned != nil {
		ctx = withOverviewClock(ctx, sb.pinned)
	}
	if !isParallel(t) || sb == nil { // serial, or a command that reaches no AWS (help, bad input)
		if ios.Env == nil {
			ios.Env = os.Getenv
		}
		return ctx
	}
	ios.Env = sb.getenv
	return withAWSOptions(ctx, sb.awsOptions()...)
}

func (sb *sandbox) service(cluster, name string) types.Service {
	sb.t.Helper()
	out, err := sb.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		sb.t.Fatalf("describe service %s/%s: %v %+v", cluster, name, err, out)
	}
	return out.Services[0]
}

func (sb *sandbox) taskDef(arn string) (*types.TaskDefinition, []types.Tag) {
	sb.t.Helper()
	out, err := sb.ecs.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		sb.t.Fatalf("describe task definition %s: %v", arn, err)
	}
	return out.TaskDefinition, out.Tags
}

// waitSteady lets the sandbox settle (a service's single deployment
// COMPLETED and running == desired) within a real-time bound.
func (sb *sandbox) waitSteady(cluster, name string) types.Service {
	sb.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := sb.service(cluster, name)
		if len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted && s.RunningCount == s.DesiredCount {
			return s
		}
		if time.Now().After(deadline) {
			sb.t.Fatalf("%s/%s never steady: %+v", cluster, name, s.Deployments)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mutations lists the mutating AWS calls the sandbox answered, as "svc.Op".
func (sb *sandbox) mutations() []string {
	var out []string
	for _, r := range sb.sim.MutatingRequests() {
		out = append(out, r.Service+"."+r.Op)
	}
	return out
}
