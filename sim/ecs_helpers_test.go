package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// call runs an operation the way the HTTP layer does: with the account locked.
func lockedCall[I, O any](s *Sim, fn func(*Sim, *I) (*O, error), in *I) (*O, error) {
	s.Lock()
	defer s.Unlock()
	return fn(s, in)
}

func mustCall[I, O any](t *testing.T, s *Sim, fn func(*Sim, *I) (*O, error), in *I) *O {
	t.Helper()
	out, err := lockedCall(s, fn, in)
	if err != nil {
		t.Fatalf("%T: %v", in, err)
	}
	return out
}

// testInstance describes one EC2 instance registered before the world loads.
type testInstance struct {
	az   string
	vcpu int
	mem  int
	ami  string
}

// newTestSim registers instances with cluster "prod" (as the EC2 side does
// at world load) and loads the ECS part of w.
func newTestSim(t *testing.T, opts Options, w *World, insts []testInstance) *Sim {
	t.Helper()
	opts.ManualClock = true
	opts.Start = testStart
	s := New(opts)
	s.mu.Lock()
	for i, in := range insts {
		s.ecsRegisterInstance(InstanceInfo{
			InstanceID: fmt.Sprintf("i-0%016d", i+1), Cluster: "prod", AvailabilityZone: in.az,
			InstanceType: "m5.large", ImageID: in.ami, VCPU: in.vcpu, MemoryMiB: in.mem, ASGName: "prod-asg",
		})
	}
	s.mu.Unlock()
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(0)
	return s
}

// spreadInstances returns n like instances over three zones.
func spreadInstances(n, vcpu, mem int) []testInstance {
	var out []testInstance
	for i := 0; i < n; i++ {
		out = append(out, testInstance{az: "us-east-1" + string(rune('a'+i%3)), vcpu: vcpu, mem: mem, ami: "ami-0old"})
	}
	return out
}

func intp(v int) *int { return &v }

// apiWorld is one cluster with one service "api" of the given shape.
func apiWorld(desired int, lb bool, cb *CircuitBreakerSpec, minP, maxP *int) *World {
	return &World{Clusters: []ClusterSpec{{
		Name: "prod",
		Services: []ServiceSpec{{
			Name: "api", Revision: 3, Desired: desired, LoadBalanced: lb, CircuitBreaker: cb,
			MinimumHealthyPercent: minP, MaximumPercent: maxP,
			Containers: []ContainerSpec{{Name: "app", Image: "api:v1", CPU: 256, Memory: 512, Ports: []int{8080}}},
		}},
	}}}
}

// newRevision registers a copy of family's latest revision with image.
func newRevision(t *testing.T, s *Sim, family, image string) string {
	t.Helper()
	// A pipeline pushes the image before it registers a revision with it.
	if repo, tag, ok := strings.Cut(image, ":"); ok && !strings.Contains(repo, "/") {
		_, _ = s.PushImage(repo, tag)
	}
	cur := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
	td := cur.TaskDefinition
	defs := append([]types.ContainerDefinition(nil), td.ContainerDefinitions...)
	defs[0].Image = aws.String(s.FullImage(image))
	out := mustCall(t, s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: defs, NetworkMode: td.NetworkMode, ExecutionRoleArn: td.ExecutionRoleArn,
		Cpu: td.Cpu, Memory: td.Memory,
	})
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func describeService(t *testing.T, s *Sim, name string) types.Service {
	t.Helper()
	out := mustCall(t, s, (*Sim).ecsDescribeServices, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{name}})
	if len(out.Services) != 1 {
		t.Fatalf("describe %s: %+v", name, out.Failures)
	}
	return out.Services[0]
}

// eventsText joins a service's events, oldest first.
func eventsText(svc types.Service) string {
	var b strings.Builder
	for i := len(svc.Events) - 1; i >= 0; i-- {
		b.WriteString(aws.ToString(svc.Events[i].Message))
		b.WriteString("\n")
	}
	return b.String()
}

// serviceDone: one deployment, COMPLETED, running == desired.
func serviceDone(s *Sim, name string) func() bool {
	return func() bool {
		svc := s.ecs.Clusters["prod"].Services[name]
		s.ecsCount(svc)
		d := svc.Svc.Deployments
		return len(d) == 1 && d[0].RolloutState == types.DeploymentRolloutStateCompleted && d[0].RunningCount == svc.Svc.DesiredCount && svc.Steady
	}
}
