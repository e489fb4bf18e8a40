package tui

import (
	"context"
	"strings"
	"testing"

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
