package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/sim"
)

// A Fargate service's detail in the dashboard: its tasks show where they
// run (private IP and ENI, no instance), the header its launch.
func TestSandboxFargateServiceDetail(t *testing.T) {
	sb := startTopSandbox(t, "edge")
	m := newTestModel(t, sb.options(sim.EdgeCluster, true), 160, 40)
	settle(t, m, m.Init())
	for _, tc := range []struct{ service, launch string }{
		{"fargate-api", "FARGATE"},
		{"spot-worker", "FARGATE_SPOT:3,FARGATE:1 base 1"},
	} {
		press(t, m, "2")
		for i := 0; i < len(m.table().rows) && selectedName(m) != "svc:"+tc.service; i++ {
			press(t, m, "j")
		}
		if selectedName(m) != "svc:"+tc.service {
			t.Fatalf("%s not found:\n%s", tc.service, m.View())
		}
		press(t, m, "enter")
		settle(t, m, m.refresh())
		v := m.View()
		if m.detail == nil || len(m.detail.Tasks) == 0 {
			t.Fatalf("%s: no detail:\n%s", tc.service, v)
		}
		if !strings.Contains(v, "INSTANCE/IP") || !strings.Contains(v, " · "+tc.launch) {
			t.Errorf("%s: no INSTANCE/IP column or launch %q:\n%s", tc.service, tc.launch, v)
		}
		l, err := sb.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(sim.EdgeCluster), ServiceName: aws.String(tc.service)})
		if err != nil {
			t.Fatal(err)
		}
		d, err := sb.ecs.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(sim.EdgeCluster), Tasks: l.TaskArns})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range d.Tasks {
			ip := aws.ToString(task.Containers[0].NetworkInterfaces[0].PrivateIpv4Address)
			if !strings.Contains(v, ip) {
				t.Errorf("%s: task IP %s not shown:\n%s", tc.service, ip, v)
			}
		}
		for _, tr := range m.detail.Tasks {
			if tr.InstanceID != "" || tr.PrivateIP == "" || tr.ENI == "" {
				t.Errorf("%s: task row %+v", tc.service, tr)
			}
		}
		press(t, m, "esc")
	}
	if muts := sb.mutations(); len(muts) != 0 {
		t.Errorf("reading mutated: %v", muts)
	}
}

// The dashboard's rollback of a capacity provider strategy service: the
// sandbox's service goes back to the previous revision, on Fargate.
func TestSandboxFargateRollbackFromTheDashboard(t *testing.T) {
	sb := startTopSandbox(t, "edge")
	ctx := context.Background()
	svc := func() (string, int) {
		out, err := sb.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(sim.EdgeCluster), Services: []string{"spot-worker"}})
		if err != nil || len(out.Services) != 1 {
			t.Fatalf("describe spot-worker: %v", err)
		}
		return aws.ToString(out.Services[0].TaskDefinition), len(out.Services[0].Deployments)
	}
	oldTD, _ := svc()
	// A newer revision (same containers) is what the service runs now.
	cur, err := sb.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(oldTD)})
	if err != nil {
		t.Fatal(err)
	}
	td := cur.TaskDefinition
	reg, err := sb.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: td.Family, ContainerDefinitions: td.ContainerDefinitions,
		NetworkMode: td.NetworkMode, Cpu: td.Cpu, Memory: td.Memory, ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn,
		RequiresCompatibilities: td.RequiresCompatibilities})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(sim.EdgeCluster), Service: aws.String("spot-worker"),
		TaskDefinition: reg.TaskDefinition.TaskDefinitionArn}); err != nil {
		t.Fatal(err)
	}
	sb.sim.Advance(10 * time.Minute) // the update completes
	if _, deps := svc(); deps != 1 {
		t.Fatalf("spot-worker did not settle on the new revision: %d deployments", deps)
	}
	m := newTestModel(t, sb.options(sim.EdgeCluster, false), 160, 40)
	settle(t, m, m.Init())
	press(t, m, "2")
	for i := 0; i < len(m.table().rows) && selectedName(m) != "svc:spot-worker"; i++ {
		press(t, m, "j")
	}
	if selectedName(m) != "svc:spot-worker" {
		t.Fatalf("spot-worker not found:\n%s", m.View())
	}
	press(t, m, "B")
	if muts := sb.mutations(); len(muts) != 2 { // the setup's register and update
		t.Fatalf("mutated before confirmation: %v", muts)
	}
	press(t, m, "y")
	if got, deps := svc(); got != oldTD || deps < 2 {
		t.Fatalf("after the dashboard's rollback spot-worker runs %s (%d deployments), want a deployment back to %s\n%s", got, deps, oldTD, m.View())
	}
	out, err := sb.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(sim.EdgeCluster), Services: []string{"spot-worker"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Services[0]; s.LaunchType != "" || len(s.CapacityProviderStrategy) != 2 || len(s.Deployments[0].CapacityProviderStrategy) != 2 {
		t.Errorf("the rollback deployment lost the strategy: service %q %v, deployment %v", s.LaunchType, s.CapacityProviderStrategy, s.Deployments[0].CapacityProviderStrategy)
	}
}
