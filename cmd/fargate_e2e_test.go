package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops/overview"
	"ecsctl/sim"
)

// The edge world's Fargate shapes: fargate-api (launch type FARGATE, 3
// tasks behind an ip target group), spot-worker (FARGATE_SPOT weight 3 +
// FARGATE weight 1 base 1, 4 tasks) and nocpu-api (EC2, container-level
// sizes only), next to web (EC2).

func (sb *sandbox) tasksOf(cluster, service string) []types.Task {
	sb.t.Helper()
	ctx := context.Background()
	l, err := sb.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service)})
	if err != nil {
		sb.t.Fatalf("list tasks of %s/%s: %v", cluster, service, err)
	}
	if len(l.TaskArns) == 0 {
		return nil
	}
	d, err := sb.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: l.TaskArns})
	if err != nil {
		sb.t.Fatalf("describe tasks of %s/%s: %v", cluster, service, err)
	}
	return d.Tasks
}

// reserved sums what the cluster's container instances have reserved
// (registered minus remaining), as ECS reports it.
func (sb *sandbox) reserved(cluster string) (cpu, mem int) {
	sb.t.Helper()
	ctx := context.Background()
	l, err := sb.ecs.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	if err != nil {
		sb.t.Fatal(err)
	}
	d, err := sb.ecs.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: l.ContainerInstanceArns})
	if err != nil {
		sb.t.Fatal(err)
	}
	val := func(rs []types.Resource, name string) int {
		for _, r := range rs {
			if aws.ToString(r.Name) == name {
				return int(r.IntegerValue)
			}
		}
		return 0
	}
	for _, ci := range d.ContainerInstances {
		cpu += val(ci.RegisteredResources, "CPU") - val(ci.RemainingResources, "CPU")
		mem += val(ci.RegisteredResources, "MEMORY") - val(ci.RemainingResources, "MEMORY")
	}
	return cpu, mem
}

func TestE2EFargateOverviews(t *testing.T) {
	parallel(t)
	sb := overviewStartFrozen(t, "edge", 5, 3*time.Minute)

	code, stdout, stderr := run(t, "services", "-c", sim.EdgeCluster)
	if code != ExitOK {
		t.Fatalf("services: exit %d\n%s", code, stderr)
	}
	launch := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n")[1:] {
		// The launch column is the last, after MEM UTIL's percentage.
		launch[strings.Fields(line)[0]] = strings.TrimSpace(line[strings.LastIndex(line, "%")+1:])
	}
	want := map[string]string{"fargate-api": "FARGATE", "spot-worker": "FARGATE_SPOT:3,FARGATE:1 base 1", "nocpu-api": "EC2", "web": "EC2"}
	for svc, w := range want {
		if launch[svc] != w {
			t.Errorf("services: %s launch %q, want %q\n%s", svc, launch[svc], w, stdout)
		}
	}

	// status: where a Fargate task runs is its IP and ENI, not an instance.
	code, stdout, stderr = run(t, "status", "-c", sim.EdgeCluster, "-s", "spot-worker", "-o", "json")
	if code != ExitOK {
		t.Fatalf("status: exit %d\n%s", code, stderr)
	}
	var st overview.ServiceStatus
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	ips := map[string]bool{}
	for _, task := range sb.tasksOf(sim.EdgeCluster, "spot-worker") {
		_, ip := taskAddr(task)
		ips[ip] = true
	}
	if len(st.Tasks) != 4 {
		t.Fatalf("status: %d tasks, want 4", len(st.Tasks))
	}
	for _, tr := range st.Tasks {
		if tr.InstanceID != "" || !ips[tr.PrivateIP] || !strings.HasPrefix(tr.ENI, "eni-") || tr.LaunchType != "FARGATE" || tr.CapacityProvider == "" {
			t.Errorf("status task %+v: want no instance, the ENI's IP (one of %v), FARGATE and a provider", tr, ips)
		}
	}
	if st.Service.Launch != "FARGATE_SPOT:3,FARGATE:1 base 1" {
		t.Errorf("status launch %q", st.Service.Launch)
	}
	code, stdout, _ = run(t, "status", "-c", sim.EdgeCluster, "-s", "fargate-api")
	if code != ExitOK || !strings.Contains(stdout, "INSTANCE/IP") || !strings.Contains(stdout, "launch      FARGATE\n") {
		t.Errorf("status text: exit %d\n%s", code, stdout)
	}
	for _, task := range sb.tasksOf(sim.EdgeCluster, "fargate-api") {
		if eni, ip := taskAddr(task); !strings.Contains(stdout, ip+" ("+eni+")") {
			t.Errorf("status text lacks %s (%s):\n%s", ip, eni, stdout)
		}
	}

	// capacity: Fargate services need no instance room; nocpu-api is sized
	// from its containers (app 256/512 + envoy 64/64).
	code, stdout, stderr = run(t, "capacity", "-c", sim.EdgeCluster, "-o", "json")
	if code != ExitOK {
		t.Fatalf("capacity: exit %d\n%s", code, stderr)
	}
	var rep overview.CapacityReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Services {
		fargate := s.Name == "fargate-api" || s.Name == "spot-worker"
		if s.Fargate != fargate {
			t.Errorf("capacity %s: fargate %v", s.Name, s.Fargate)
		}
		if s.Name == "nocpu-api" && (s.TaskCPU != 320 || s.TaskMemory != 576 || s.Fits <= 0) {
			t.Errorf("capacity nocpu-api: %+v, want 320 CPU / 576 MiB from its containers", s)
		}
	}
	// The EC2 services besides web and nocpu-api: cd-api, ext-api, bg-api
	// and canary-api (world_edge_controllers.go), 9 tasks of 256 CPU.
	const ctlTasks, ctlCPU = 2 + 2 + 3 + 2, (2 + 2 + 3 + 2) * 256
	cpu, mem := sb.reserved(sim.EdgeCluster)
	if rep.Total.CPUReserved != cpu || rep.Total.MemoryReserved != mem || cpu != 3*512+2*320+ctlCPU {
		t.Errorf("capacity reserved %d/%d, instances %d/%d, want the EC2 services only (%d CPU)", rep.Total.CPUReserved, rep.Total.MemoryReserved, cpu, mem, 3*512+2*320+ctlCPU)
	}
	// clusters and instances: the seven Fargate tasks run, but reserve
	// nothing on the instances.
	code, stdout, stderr = run(t, "clusters", "-o", "json")
	if code != ExitOK {
		t.Fatalf("clusters: exit %d\n%s", code, stderr)
	}
	var cls []overview.ClusterSummary
	if err := json.Unmarshal([]byte(stdout), &cls); err != nil {
		t.Fatal(err)
	}
	for _, c := range cls {
		if c.Name == sim.EdgeCluster && (c.CPUReserved != cpu || c.MemoryReserved != mem || c.RunningTasks != 3+2+3+4+ctlTasks) {
			t.Errorf("clusters edge: %+v, want %d/%d reserved and %d tasks running", c, cpu, mem, 3+2+3+4+ctlTasks)
		}
	}
	code, stdout, stderr = run(t, "instances", "-c", sim.EdgeCluster, "-o", "json")
	if code != ExitOK {
		t.Fatalf("instances: exit %d\n%s", code, stderr)
	}
	var ins []overview.InstanceRow
	if err := json.Unmarshal([]byte(stdout), &ins); err != nil {
		t.Fatal(err)
	}
	tasks, icpu := 0, 0
	for _, in := range ins {
		tasks += in.RunningTasks
		icpu += in.CPUReserved
	}
	if tasks != 5+ctlTasks || icpu != cpu {
		t.Errorf("instances: %d tasks, %d CPU reserved; want the EC2 services' %d and %d", tasks, icpu, 5+ctlTasks, cpu)
	}

	sb.sim.ResetRequests()
	code, _, stderr = run(t, "capacity", "-c", sim.EdgeCluster, "--add", "fargate-api=2")
	if code != ExitUsage || !strings.Contains(stderr, "Fargate") {
		t.Errorf("capacity --add fargate-api: exit %d %s", code, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("overviews mutated: %v", m)
	}
}

func taskAddr(t types.Task) (eni, ip string) {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			switch aws.ToString(d.Name) {
			case "networkInterfaceId":
				eni = aws.ToString(d.Value)
			case "privateIPv4Address":
				ip = aws.ToString(d.Value)
			}
		}
	}
	return eni, ip
}

func TestE2EFargateTaskLogsAndEvents(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	sb.waitSteady(sim.EdgeCluster, "fargate-api")
	tasks := sb.tasksOf(sim.EdgeCluster, "fargate-api")
	id := tasks[0].TaskArn
	short := (*id)[strings.LastIndex(*id, "/")+1:]
	code, stdout, stderr := run(t, "logs", "-c", sim.EdgeCluster, "--task", short, "--since", "10m")
	if code != ExitOK {
		t.Fatalf("logs: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) < 5 {
		t.Fatalf("logs of Fargate task %s: %d lines\n%s", short, len(lines), stdout)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, short+"/") {
			t.Errorf("line not of task %s: %q", short, l)
		}
	}
	code, stdout, stderr = run(t, "events", "-c", sim.EdgeCluster, "-s", "spot-worker")
	if code != ExitOK || !strings.Contains(stdout, "(service spot-worker) has reached a steady state") {
		t.Errorf("events: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// edgeFargateOnly keeps of the edge world its cluster with the Fargate
// shapes and web (the other parts' shapes have their own tests).
func edgeFargateOnly(w *sim.World) {
	keep := map[string]bool{"web": true, "fargate-api": true, "spot-worker": true, "nocpu-api": true}
	var clusters []sim.ClusterSpec
	for _, c := range w.Clusters {
		if c.Name != sim.EdgeCluster {
			continue
		}
		var svcs []sim.ServiceSpec
		for _, s := range c.Services {
			if keep[s.Name] {
				svcs = append(svcs, s)
			}
		}
		c.Services = svcs
		clusters = append(clusters, c)
	}
	w.Clusters = clusters
	var asgs []sim.ASGSpec
	for _, g := range w.AutoScalingGroups {
		if g.Name == sim.EdgeASG {
			asgs = append(asgs, g)
		}
	}
	w.AutoScalingGroups = asgs
	var lts []sim.LaunchTemplateSpec
	for _, lt := range w.LaunchTemplates {
		if lt.Name == sim.EdgeASG {
			lts = append(lts, lt)
		}
	}
	w.LaunchTemplates = lts
}

// rotate-ami on the edge cluster: a Fargate deploy in progress does not
// hold the rotation up (none of its tasks is on an instance), the plan and
// the drains move only the EC2 tasks, and the Fargate tasks are left alone.
func TestE2EFargateRotationLeavesFargateAlone(t *testing.T) {
	parallel(t)
	w, err := sim.BuiltinWorld("edge")
	if err != nil {
		t.Fatal(err)
	}
	edgeFargateOnly(w)
	sb := startSandboxWorld(t, w, "")
	sb.waitSteady(sim.EdgeCluster, "spot-worker")
	spotBefore := map[string]bool{}
	for _, task := range sb.tasksOf(sim.EdgeCluster, "spot-worker") {
		spotBefore[aws.ToString(task.TaskArn)] = true
	}
	// fargate-api is mid-deploy when the rotation is planned.
	if code, stdout, stderr := run(t, "deploy", "-c", sim.EdgeCluster, "-s", "fargate-api", "--tag", sim.DemoNextTag, "--no-wait", "-o", "json"); code != ExitOK {
		t.Fatalf("deploy --no-wait: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if s := sb.service(sim.EdgeCluster, "fargate-api"); len(s.Deployments) < 2 {
		t.Fatalf("fargate-api is not mid-deploy: %+v", s.Deployments)
	}
	code, stdout, stderr := run(t, "rotate-ami", "-c", sim.EdgeCluster, "--dry-run")
	if code != ExitOK || strings.Contains(stdout, "fargate-api") || strings.Contains(stdout, "spot-worker") || !strings.Contains(stdout, "nocpu-api") {
		t.Fatalf("dry run: exit %d, want a plan moving only EC2 tasks\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "rotate-ami", "-c", sim.EdgeCluster, "--yes", "--poll-interval", "20ms", "-o", "json")
	if code != ExitOK {
		t.Fatalf("rotate-ami: exit %d\n%s\n%s", code, stdout, stderr)
	}
	killCheckRotated(t, sb, sim.EdgeCluster, sim.EdgeASG, 4, 4, 8)
	for _, task := range sb.tasksOf(sim.EdgeCluster, "spot-worker") {
		if !spotBefore[aws.ToString(task.TaskArn)] {
			t.Errorf("spot-worker task %s was replaced by the rotation", aws.ToString(task.TaskArn))
		}
	}
}
