package cmd

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

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
// points ecsctl (run in-process) at it through the environment, the way a
// user would with AWS_ENDPOINT_URL and dummy credentials.
func serveSandbox(t testing.TB, s *sim.Sim) *sandbox {
	t.Helper()
	srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
	t.Cleanup(srv.Close)
	iamWatch(t, s)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": testSecretAccessKey, "AWS_SESSION_TOKEN": testSessionToken,
		"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "ECSCTL_POLL_INTERVAL": "", "ECSCTL_CLUSTER": "",
		"ECSCTL_SANDBOX_SPEED": strconv.FormatFloat(s.Speed(), 'f', -1, 64)} {
		t.Setenv(k, v)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL)}
	return &sandbox{t: t, sim: s, url: srv.URL, ecs: ecs.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg)}
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
