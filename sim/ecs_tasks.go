package sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// How long ECS keeps a STOPPED task describable.
const ecsStoppedTaskRetention = time.Hour

// Task lifecycle events (key: task ARN).
const (
	evTaskStart     = "ecs.taskStart"     // PENDING → RUNNING (or pull failure)
	evTaskCrash     = "ecs.taskCrash"     // a crash- image exits 1
	evTargetCheck   = "ecs.targetCheck"   // health-check grace over: healthy or unhealthy
	evTargetDrained = "ecs.targetDrained" // deregistration delay over: STOPPING
	evTaskStopped   = "ecs.taskStopped"   // stop timeout over: STOPPED
	evTaskExpire    = "ecs.taskExpire"    // a STOPPED task is forgotten
)

func init() {
	register(SvcECS, "RunTask", (*Sim).ecsRunTask)
	register(SvcECS, "StopTask", (*Sim).ecsStopTaskOp)
	register(SvcECS, "ListTasks", (*Sim).ecsListTasks)
	register(SvcECS, "DescribeTasks", (*Sim).ecsDescribeTasks)
	registerEvent(evTaskStart, (*Sim).ecsOnTaskStart)
	registerEvent(evTaskCrash, (*Sim).ecsOnTaskCrash)
	registerEvent(evTargetCheck, (*Sim).ecsOnTargetCheck)
	registerEvent(evTargetDrained, (*Sim).ecsOnTargetDrained)
	registerEvent(evTaskStopped, func(s *Sim, key string) {
		if t := s.ecs.Tasks[key]; t != nil && aws.ToString(t.Task.LastStatus) == "STOPPING" {
			killed := s.oneOffSnapshot(t)
			s.ecsFinishStop(t, 0, "task stopped")
			s.oneOffKilled(t, killed)
		}
	})
	registerEvent(evTaskExpire, func(s *Sim, key string) {
		t := s.ecs.Tasks[key]
		if t == nil || aws.ToString(t.Task.LastStatus) != "STOPPED" {
			return
		}
		delete(s.ecs.Tasks, key)
		delIdx(s.ecs.clusterTasks, t.Cluster, key)
		if t.Service != "" {
			delIdx(s.ecs.svcTasks, t.Service, key)
		}
	})
}

// ---- task shape ----

// parseTaskSize reads a task-level cpu ("256", "1 vCPU") or memory ("512",
// "1 GB") value.
func parseTaskSize(v *string, unit int) int {
	str := strings.TrimSpace(strings.ToLower(aws.ToString(v)))
	if str == "" {
		return 0
	}
	if n, err := strconv.Atoi(str); err == nil {
		return n
	}
	num := strings.TrimSpace(strings.TrimRight(str, "abcdefghijklmnopqrstuvwxyz "))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0
	}
	return int(f * float64(unit))
}

// ecsTaskSize is what a task reserves on its instance.
func ecsTaskSize(td *types.TaskDefinition) (cpu, mem int) {
	cpu, mem = parseTaskSize(td.Cpu, 1024), parseTaskSize(td.Memory, 1024)
	var ccpu, cmem int
	for _, c := range td.ContainerDefinitions {
		ccpu += int(c.Cpu)
		switch {
		case c.Memory != nil:
			cmem += int(*c.Memory)
		case c.MemoryReservation != nil:
			cmem += int(*c.MemoryReservation)
		}
	}
	if cpu == 0 {
		cpu = ccpu
	}
	if mem == 0 {
		mem = cmem
	}
	return cpu, mem
}

// ecsStaticPorts lists the host ports a task definition fixes.
func ecsStaticPorts(td *types.TaskDefinition) []int32 {
	var ports []int32
	for _, c := range td.ContainerDefinitions {
		for _, pm := range c.PortMappings {
			switch td.NetworkMode {
			case types.NetworkModeHost:
				p := aws.ToInt32(pm.HostPort)
				if p == 0 {
					p = aws.ToInt32(pm.ContainerPort)
				}
				ports = append(ports, p)
			case types.NetworkModeBridge, "":
				if p := aws.ToInt32(pm.HostPort); p != 0 {
					ports = append(ports, p)
				}
			}
		}
	}
	return ports
}

// imageTag is the tag of an image reference ("" for none).
func imageTag(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon > slash {
		return image[colon+1:]
	}
	return ""
}

// ---- creating and ending tasks ----

// ecsCreateTask places a new PENDING task of td on in.
func (s *Sim) ecsCreateTask(c *ecsCluster, td *ecsTaskDef, in *ecsInstance, group, startedBy string, svc *ecsService, deployment string, tags []types.Tag) *ecsTask {
	id := s.newID("task")
	arn := s.arn("ecs", "task/"+c.Name+"/"+id)
	cpu, mem := ecsTaskSize(&td.TD)
	now := s.Now()
	t := &ecsTask{
		Cluster: c.Name, Deployment: deployment, Instance: aws.ToString(in.CI.ContainerInstanceArn), CPU: cpu, Memory: mem,
		Task: types.Task{
			TaskArn: aws.String(arn), ClusterArn: aws.String(c.Arn), ContainerInstanceArn: in.CI.ContainerInstanceArn,
			TaskDefinitionArn: td.TD.TaskDefinitionArn, Group: aws.String(group), LaunchType: types.LaunchTypeEc2,
			LastStatus: aws.String("PENDING"), DesiredStatus: aws.String("RUNNING"), CreatedAt: aws.Time(now),
			Cpu: aws.String(strconv.Itoa(cpu)), Memory: aws.String(strconv.Itoa(mem)), AvailabilityZone: aws.String(in.AZ),
			Version: 1, Connectivity: types.ConnectivityConnected, ConnectivityAt: aws.Time(now),
			Attributes: []types.Attribute{{Name: aws.String("ecs.cpu-architecture"), Value: aws.String(ecsAttr(in, "ecs.cpu-architecture"))}},
			//lint:ignore SA1019 AWS still sends this deprecated field, so the sandbox does too
			Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{}, InferenceAcceleratorOverrides: []types.InferenceAcceleratorOverride{}},
			Tags:      copyTags(tags), HealthStatus: types.HealthStatusUnknown,
		},
	}
	// Task.cpu and memory are "as expressed in a task definition" (ECS API
	// reference, Task): a task definition with only container-level sizes
	// gives tasks without them.
	if td.TD.Cpu == nil {
		t.Task.Cpu = nil
	}
	if td.TD.Memory == nil {
		t.Task.Memory = nil
	}
	if startedBy != "" {
		t.Task.StartedBy = aws.String(startedBy)
	}
	var eni string
	if td.TD.NetworkMode == types.NetworkModeAwsvpc {
		// The task gets its own network interface (ENI) and address.
		t.Task.LastStatus = aws.String("PROVISIONING")
		t.PrivateIP = fmt.Sprintf("10.0.%d.%d", 1+s.rng.Intn(254), 1+s.rng.Intn(254))
		eni = "eni-0" + s.randHex(16)
		kv := func(k, v string) types.KeyValuePair {
			return types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)}
		}
		t.Task.Attachments = []types.Attachment{{
			Id: aws.String(s.newID("uuid")), Type: aws.String("ElasticNetworkInterface"), Status: aws.String("ATTACHED"),
			Details: []types.KeyValuePair{
				kv("subnetId", ecsAttr(in, "ecs.subnet-id")), kv("networkInterfaceId", eni),
				kv("macAddress", "0e:"+s.randHex(2)+":"+s.randHex(2)+":"+s.randHex(2)+":"+s.randHex(2)+":"+s.randHex(2)),
				kv("privateDnsName", "ip-"+strings.ReplaceAll(t.PrivateIP, ".", "-")+".ec2.internal"),
				kv("privateIPv4Address", t.PrivateIP),
			},
		}}
	}
	if svc != nil {
		t.Service = aws.ToString(svc.Svc.ServiceArn)
	}
	used := map[int32]bool{}
	for _, p := range in.Ports {
		used[p] = true
	}
	next := int32(32768)
	for _, cd := range td.TD.ContainerDefinitions {
		ct := types.Container{
			ContainerArn: aws.String(s.arn("ecs", "container/"+c.Name+"/"+id+"/"+s.newID("uuid"))),
			TaskArn:      aws.String(arn), Name: cd.Name, Image: cd.Image, LastStatus: aws.String("PENDING"),
			Cpu: aws.String(strconv.Itoa(int(cd.Cpu))), HealthStatus: types.HealthStatusUnknown,
			NetworkInterfaces: []types.NetworkInterface{},
		}
		if eni != "" {
			ct.NetworkInterfaces = []types.NetworkInterface{{AttachmentId: t.Task.Attachments[0].Id, PrivateIpv4Address: aws.String(t.PrivateIP)}}
		}
		if cd.Memory != nil {
			ct.Memory = aws.String(strconv.Itoa(int(*cd.Memory)))
		}
		if cd.MemoryReservation != nil {
			ct.MemoryReservation = aws.String(strconv.Itoa(int(*cd.MemoryReservation)))
		}
		for _, pm := range cd.PortMappings {
			if td.TD.NetworkMode == types.NetworkModeAwsvpc {
				continue
			}
			host := aws.ToInt32(pm.HostPort)
			static := host != 0 || td.TD.NetworkMode == types.NetworkModeHost
			if td.TD.NetworkMode == types.NetworkModeHost && host == 0 {
				host = aws.ToInt32(pm.ContainerPort)
			}
			if host == 0 {
				for used[next] {
					next++
				}
				host = next
			}
			used[host] = true
			if static {
				t.HostPorts = append(t.HostPorts, host)
			}
			in.Ports = append(in.Ports, host)
			proto := pm.Protocol
			if proto == "" {
				proto = types.TransportProtocolTcp
			}
			ct.NetworkBindings = append(ct.NetworkBindings, types.NetworkBinding{
				BindIP: aws.String("0.0.0.0"), ContainerPort: pm.ContainerPort, HostPort: aws.Int32(host), Protocol: proto,
			})
		}
		t.Task.Containers = append(t.Task.Containers, ct)
	}
	in.CPUUsed += cpu
	in.MemUsed += mem
	s.ecs.Tasks[arn] = t
	s.ecs.index(arn, t)
	if in.fargate != nil {
		s.fargateTaskCreated(t, in.fargate)
		return t
	}
	s.after(s.Timings.TaskStart.D(), evTaskStart, arn)
	return t
}

func ecsAttr(in *ecsInstance, name string) string {
	for _, a := range in.CI.Attributes {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// ecsTaskService returns the service of a task (nil for standalone tasks or
// a service that is gone).
func (s *Sim) ecsTaskService(t *ecsTask) *ecsService {
	if t.Service == "" {
		return nil
	}
	return s.ecsServiceByArn(t.Service)
}

func (s *Sim) ecsOnTaskStart(key string) {
	t := s.ecs.Tasks[key]
	if t == nil || aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
		return
	}
	if ls := aws.ToString(t.Task.LastStatus); ls != "PENDING" && ls != "PROVISIONING" {
		return
	}
	now := s.Now()
	t.Task.PullStartedAt = aws.Time(now.Add(-s.Timings.TaskStart.D() / 2))
	for i := range t.Task.Containers {
		img := aws.ToString(t.Task.Containers[i].Image)
		if st := s.ecrImageStatus(img); st.ECR && !st.Exists {
			reason := "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref " +
				img + ": " + img + ": not found"
			t.Task.PullStoppedAt = aws.Time(now)
			t.Task.Containers[i].Reason = aws.String(reason)
			t.Task.DesiredStatus = aws.String("STOPPED")
			t.Task.StoppedReason = aws.String(reason)
			t.Task.StopCode = types.TaskStopCodeTaskFailedToStart
			t.Task.StoppingAt = aws.Time(now)
			t.Failed = true
			s.ecsFinishStop(t, -1, "task failed to start")
			s.ecsTaskFailed(t)
			return
		}
	}
	t.Task.PullStoppedAt = aws.Time(now)
	if s.ecsMarkRunning(t, now) {
		s.after(s.Timings.CrashAfter.D(), evTaskCrash, key)
	}
	s.oneOffStart(t) // a RunTask container with a command runs it (oneoff.go)
	svc := s.ecsTaskService(t)
	if svc != nil {
		if tg, port := s.ecsTargetFor(svc, t); tg != nil {
			t.TargetGroup, t.TargetPort = aws.ToString(tg.TG.TargetGroupArn), port
			s.elbRegister(tg, t)
			s.ecsTargetsRegisteredEvent(svc, t.TargetGroup)
			s.after(s.Timings.HealthCheckGrace.D(), evTargetCheck, key)
		}
		s.ecsObserve(svc, "task started")
		s.ecsKickService(svc)
	}
}

// ecsMarkRunning makes a task RUNNING as of at, tells the logs subsystem and
// reports whether an essential container runs a crash- image.
func (s *Sim) ecsMarkRunning(t *ecsTask, at time.Time) (crash bool) {
	key := aws.ToString(t.Task.TaskArn)
	t.Task.LastStatus = aws.String("RUNNING")
	t.Task.StartedAt = aws.Time(at)
	t.Task.Version++
	td := s.ecsLookupTaskDef(aws.ToString(t.Task.TaskDefinitionArn))
	info := TaskInfo{TaskArn: key, TaskID: lastPart(key), Cluster: t.Cluster, Group: aws.ToString(t.Task.Group),
		TaskDefinitionArn: aws.ToString(t.Task.TaskDefinitionArn), StartedAt: at}
	for i := range t.Task.Containers {
		ct := &t.Task.Containers[i]
		ct.LastStatus = aws.String("RUNNING")
		ct.RuntimeId = aws.String(s.randHex(64))
		ct.ImageDigest = aws.String("sha256:" + s.randHex(64))
		ci := ContainerLogInfo{Name: aws.ToString(ct.Name), Image: aws.ToString(ct.Image), Essential: true}
		if td != nil && i < len(td.TD.ContainerDefinitions) {
			cd := td.TD.ContainerDefinitions[i]
			ci.Essential = cd.Essential == nil || *cd.Essential
			if lc := cd.LogConfiguration; lc != nil {
				ci.LogDriver = string(lc.LogDriver)
				ci.LogGroup = lc.Options["awslogs-group"]
				ci.LogRegion = lc.Options["awslogs-region"]
				ci.StreamPrefix = lc.Options["awslogs-stream-prefix"]
			}
		}
		if ci.Essential && strings.HasPrefix(imageTag(ci.Image), "crash-") {
			crash = true
		}
		info.Containers = append(info.Containers, ci)
	}
	s.logsTaskStarted(info)
	return crash
}

// ecsTargetsRegisteredEvent writes "registered N targets", counting up the
// newest event when it says the same at the same moment (ECS reports the
// targets of one scheduler action together).
func (s *Sim) ecsTargetsRegisteredEvent(svc *ecsService, tg string) {
	prefix := "(service " + s.ecsSvcName(svc) + ") registered "
	suffix := " targets in (target-group " + tg + ")"
	if evs := svc.Svc.Events; len(evs) > 0 && aws.ToTime(evs[0].CreatedAt).Equal(s.Now()) {
		msg := strings.TrimSuffix(aws.ToString(evs[0].Message), ".")
		if n, ok := strings.CutPrefix(msg, prefix); ok {
			if n, ok = strings.CutSuffix(n, suffix); ok {
				if k, err := strconv.Atoi(n); err == nil {
					evs[0].Message = aws.String(prefix + strconv.Itoa(k+1) + suffix + ".")
					return
				}
			}
		}
	}
	s.ecsEvent(svc, prefix+"1"+suffix)
}

func (s *Sim) ecsOnTaskCrash(key string) {
	t := s.ecs.Tasks[key]
	if t == nil || aws.ToString(t.Task.LastStatus) != "RUNNING" || aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
		return
	}
	t.Task.DesiredStatus = aws.String("STOPPED")
	t.Task.StoppedReason = aws.String("Essential container in task exited")
	t.Task.StopCode = types.TaskStopCodeEssentialContainerExited
	t.Task.StoppingAt = aws.Time(s.Now())
	t.Failed = true
	s.ecsFinishStop(t, 1, "essential container exited")
	s.ecsTaskFailed(t)
}

func (s *Sim) ecsOnTargetCheck(key string) {
	t := s.ecs.Tasks[key]
	if t == nil || aws.ToString(t.Task.LastStatus) != "RUNNING" || aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
		return
	}
	tg := s.elb.TargetGroups[t.TargetGroup]
	tgt := tg.target(t)
	if tgt == nil || tgt.State != "initial" && tgt.State != "unhealthy" {
		return
	}
	svc := s.ecsTaskService(t)
	unhealthy := false
	for _, c := range t.Task.Containers {
		if strings.HasPrefix(imageTag(aws.ToString(c.Image)), "unhealthy-") {
			unhealthy = true
		}
	}
	if !unhealthy {
		tgt.State, tgt.Reason, tgt.Description = "healthy", "", ""
		if svc != nil {
			s.ecsObserve(svc, "target healthy")
			s.ecsKickService(svc)
		}
		return
	}
	tgt.State, tgt.Reason, tgt.Description = "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [503]"
	// ECS ignores the load balancer's verdict during the service's
	// health-check grace period.
	if svc != nil && svc.Svc.HealthCheckGracePeriodSeconds != nil {
		graceEnd := aws.ToTime(t.Task.StartedAt).Add(time.Duration(*svc.Svc.HealthCheckGracePeriodSeconds) * time.Second)
		if graceEnd.After(s.Now()) {
			s.schedule(graceEnd, evTargetCheck, key)
			return
		}
	}
	reason := "Task failed ELB health checks in (target-group " + t.TargetGroup + ")"
	t.Failed = true
	if svc != nil {
		s.ecsEvent(svc, "(service "+aws.ToString(svc.Svc.ServiceName)+") (task "+lastPart(key)+") failed ELB health checks in (target-group "+t.TargetGroup+")")
	}
	s.ecsStopTask(t, reason, types.TaskStopCodeServiceSchedulerInitiated, false)
	s.ecsTaskFailed(t)
}

func (s *Sim) ecsOnTargetDrained(key string) {
	t := s.ecs.Tasks[key]
	if t == nil || aws.ToString(t.Task.LastStatus) != "DEACTIVATING" {
		return
	}
	if tg := s.elb.TargetGroups[t.TargetGroup]; tg != nil {
		tg.deregister(t)
	}
	t.Task.LastStatus = aws.String("STOPPING")
	t.Task.StoppingAt = aws.Time(s.Now()) // the end of DEACTIVATING: see ecsStopTask
	t.Task.Version++
	s.after(s.Timings.TaskStopTimeout.D(), evTaskStopped, key)
}

// ecsStopTask asks a task to stop: a load-balanced one first drains its
// target (DEACTIVATING), then STOPPING for the stop timeout, then STOPPED.
// A task that never ran stops at once.
func (s *Sim) ecsStopTask(t *ecsTask, reason string, code types.TaskStopCode, byScheduler bool) {
	if aws.ToString(t.Task.DesiredStatus) == "STOPPED" {
		return
	}
	now := s.Now()
	t.Task.DesiredStatus = aws.String("STOPPED")
	t.Task.StoppedReason = aws.String(reason)
	t.Task.StopCode = code
	t.ByScheduler = byScheduler
	t.Task.Version++
	switch aws.ToString(t.Task.LastStatus) {
	case "PENDING", "PROVISIONING":
		s.ecsFinishStop(t, -1, "task stopped")
		return
	case "RUNNING":
	default:
		return
	}
	// stoppingAt is "the time when the task transitions from the RUNNING
	// state to STOPPING" (ECS API Reference, Task.stoppingAt; the SDK's
	// types.Task doc): a load-balanced task first spends the deregistration
	// delay DEACTIVATING without one, and gets it when it moves to STOPPING
	// (ecsOnTargetDrained).
	if tg := s.elb.TargetGroups[t.TargetGroup]; tg != nil {
		if tgt := tg.target(t); tgt != nil && tgt.State != "draining" {
			tgt.State, tgt.Reason, tgt.Description = "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"
			t.Task.LastStatus = aws.String("DEACTIVATING")
			s.after(s.Timings.DeregistrationDelay.D(), evTargetDrained, aws.ToString(t.Task.TaskArn))
			if svc := s.ecsTaskService(t); svc != nil {
				s.ecsObserve(svc, "task stopping")
				s.ecsKickService(svc)
			}
			return
		}
	}
	t.Task.LastStatus = aws.String("STOPPING")
	t.Task.StoppingAt = aws.Time(now)
	s.after(s.Timings.TaskStopTimeout.D(), evTaskStopped, aws.ToString(t.Task.TaskArn))
	if svc := s.ecsTaskService(t); svc != nil {
		s.ecsObserve(svc, "task stopping")
		s.ecsKickService(svc)
	}
}

// ecsFinishStop makes a task STOPPED: its containers exit with exit (-1: they
// never ran), its resources are released and it is forgotten in an hour.
func (s *Sim) ecsFinishStop(t *ecsTask, exit int, cause string) {
	if aws.ToString(t.Task.LastStatus) == "STOPPED" {
		return
	}
	now := s.Now()
	ran := t.Task.StartedAt != nil
	t.Task.LastStatus = aws.String("STOPPED")
	t.Task.DesiredStatus = aws.String("STOPPED")
	t.Task.StoppedAt = aws.Time(now)
	t.Task.ExecutionStoppedAt = aws.Time(now)
	if t.Task.StoppingAt == nil {
		t.Task.StoppingAt = aws.Time(now)
	}
	t.Task.Version++
	codes := map[string]int{}
	for i := range t.Task.Containers {
		ct := &t.Task.Containers[i]
		ct.LastStatus = aws.String("STOPPED")
		if ran && exit >= 0 {
			code := exit
			if exit == 1 && !strings.HasPrefix(imageTag(aws.ToString(ct.Image)), "crash-") {
				code = 137
			}
			ct.ExitCode = aws.Int32(int32(code))
			codes[aws.ToString(ct.Name)] = code
		}
	}
	arn := aws.ToString(t.Task.TaskArn)
	if in := s.ecs.Instances[t.Instance]; in != nil {
		in.CPUUsed -= t.CPU
		in.MemUsed -= t.Memory
		var held = map[int32]bool{}
		for _, ct := range t.Task.Containers {
			for _, nb := range ct.NetworkBindings {
				held[aws.ToInt32(nb.HostPort)] = true
			}
		}
		kept := in.Ports[:0]
		for _, p := range in.Ports {
			if held[p] {
				delete(held, p)
				continue
			}
			kept = append(kept, p)
		}
		in.Ports = kept
		delIdx(s.ecs.instTasks, t.Instance, arn)
		s.ecsCheckDrained(in)
	}
	if tg := s.elb.TargetGroups[t.TargetGroup]; tg != nil {
		tg.deregister(t)
	}
	ecsENIDeleted(t)
	if ran {
		s.logsTaskStopped(arn, codes)
	}
	s.after(ecsStoppedTaskRetention, evTaskExpire, arn)
	if svc := s.ecsTaskService(t); svc != nil {
		s.ecsObserve(svc, cause)
		s.ecsKickService(svc)
	}
}

// ecsNoteKilled records a service task stopped by something other than the
// scheduler while the service had no replacement running.
func (s *Sim) ecsNoteKilled(t *ecsTask, reason string) {
	svc := s.ecsTaskService(t)
	if svc == nil {
		return
	}
	if s.ecsHealthyCount(svc) < int(svc.Svc.DesiredCount) {
		s.rec.killedWithoutReplacement(s.Now(), svc.Cluster+"/"+aws.ToString(svc.Svc.ServiceName), aws.ToString(t.Task.TaskArn), reason)
	}
}

// ---- API ----

// ecsFindTask resolves a task ARN or ID in cluster c.
func (s *Sim) ecsFindTask(c *ecsCluster, ref string) *ecsTask {
	arn := ref
	if !strings.HasPrefix(ref, "arn:") {
		arn = s.arn("ecs", "task/"+c.Name+"/"+ref)
	}
	t := s.ecs.Tasks[arn]
	if t == nil || t.Cluster != c.Name {
		return nil
	}
	return t
}

func (s *Sim) ecsStopTaskOp(in *ecs.StopTaskInput) (*ecs.StopTaskOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	t := s.ecsFindTask(c, aws.ToString(in.Task))
	if t == nil {
		return nil, apiErr("InvalidParameterException", "The referenced task was not found.")
	}
	if aws.ToString(t.Task.DesiredStatus) != "STOPPED" {
		reason := aws.ToString(in.Reason)
		if reason == "" {
			reason = "Task stopped by user"
		}
		s.ecsStopTask(t, reason, types.TaskStopCodeUserInitiated, false)
		s.ecsNoteKilled(t, reason)
	}
	v := s.ecsTaskView(t, false)
	return &ecs.StopTaskOutput{Task: &v}, nil
}

func (s *Sim) ecsTaskView(t *ecsTask, tags bool) types.Task {
	v := t.Task
	v.Containers = make([]types.Container, len(t.Task.Containers))
	for i, c := range t.Task.Containers {
		c.NetworkBindings = append([]types.NetworkBinding(nil), c.NetworkBindings...)
		v.Containers[i] = c
	}
	if tags {
		v.Tags = copyTags(t.Task.Tags)
		if v.Tags == nil {
			v.Tags = []types.Tag{}
		}
	} else {
		v.Tags = nil
	}
	return v
}

func (s *Sim) ecsListTasks(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.ServiceName != nil && in.Family != nil {
		return nil, apiErr("InvalidParameterException", "Cannot specify both serviceName and family.")
	}
	want := string(in.DesiredStatus)
	if want == "" {
		want = "RUNNING"
	}
	if want != "RUNNING" && want != "STOPPED" && want != "PENDING" {
		return nil, apiErr("InvalidParameterException", "desiredStatus must be RUNNING, PENDING or STOPPED.")
	}
	set, ci, err := s.listTasksCandidates(c, in, want)
	if err != nil {
		return nil, err
	}
	type item struct {
		arn string
		at  time.Time
	}
	var items []item
	for a := range set {
		if t := s.ecs.Tasks[a]; t != nil && listTasksMatch(t, in, want, ci) {
			items = append(items, item{a, aws.ToTime(t.Task.CreatedAt)})
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if !items[i].at.Equal(items[j].at) {
			return items[i].at.Before(items[j].at)
		}
		return items[i].arn < items[j].arn
	})
	arns := make([]string, len(items))
	for i, it := range items {
		arns[i] = it.arn
	}
	page, next, err := s.ecsPage(arns, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTasksOutput{TaskArns: nonNil(page), NextToken: next}, nil
}

// listTasksCandidates is the index of tasks a ListTasks call scans: the
// service's, the container instance's (the cluster's for STOPPED ones: the
// instance index holds live tasks only) or the cluster's. ci is the
// instance the call names.
func (s *Sim) listTasksCandidates(c *ecsCluster, in *ecs.ListTasksInput, want string) (map[string]bool, *ecsInstance, error) {
	set := s.ecs.clusterTasks[c.Name]
	if in.ServiceName != nil {
		sv := c.Services[lastPart(aws.ToString(in.ServiceName))]
		if sv == nil {
			return nil, nil, apiErr("ServiceNotFoundException", "Service not found.")
		}
		set = s.ecs.svcTasks[aws.ToString(sv.Svc.ServiceArn)]
	}
	if in.ContainerInstance == nil {
		return set, nil, nil
	}
	ci := s.ecsFindInstance(c, aws.ToString(in.ContainerInstance))
	if ci == nil {
		return nil, nil, apiErr("InvalidParameterException", "The referenced container instance was not found.")
	}
	if want == "STOPPED" {
		return s.ecs.clusterTasks[c.Name], ci, nil
	}
	return s.ecs.instTasks[aws.ToString(ci.CI.ContainerInstanceArn)], ci, nil
}

// listTasksMatch applies ListTasks's filters to one task. PENDING means
// desired RUNNING and not yet running.
func listTasksMatch(t *ecsTask, in *ecs.ListTasksInput, want string, ci *ecsInstance) bool {
	ds := aws.ToString(t.Task.DesiredStatus)
	if want == "PENDING" {
		if ls := aws.ToString(t.Task.LastStatus); ds != "RUNNING" || ls != "PENDING" && ls != "PROVISIONING" {
			return false
		}
	} else if ds != want {
		return false
	}
	if ci != nil && t.Instance != aws.ToString(ci.CI.ContainerInstanceArn) {
		return false
	}
	if in.Family != nil && !strings.HasPrefix(lastPart(aws.ToString(t.Task.TaskDefinitionArn)), aws.ToString(in.Family)+":") {
		return false
	}
	return in.StartedBy == nil || aws.ToString(t.Task.StartedBy) == aws.ToString(in.StartedBy)
}

func (s *Sim) ecsDescribeTasks(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 {
		return nil, apiErr("InvalidParameterException", "Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, apiErr("InvalidParameterException", "Tasks cannot have more than 100 elements.")
	}
	out := &ecs.DescribeTasksOutput{Tasks: []types.Task{}, Failures: []types.Failure{}}
	tags := hasField(in.Include, "TAGS")
	for _, r := range in.Tasks {
		t := s.ecsFindTask(c, r)
		if t == nil {
			arn := r
			if !strings.HasPrefix(r, "arn:") {
				arn = s.arn("ecs", "task/"+c.Name+"/"+r)
			}
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.Tasks = append(out.Tasks, s.ecsTaskView(t, tags))
	}
	return out, nil
}
