package sim

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECS (EC2 launch type). The ELBv2 target groups of its services are
// elb_*.go, their state s.elb.
//
// Files: ecs_state.go (state, indexes, hooks), ecs_clusters.go (clusters,
// container instances, attributes, tags, capacity providers), ecs_taskdefs.go,
// ecs_services.go (service API), ecs_tasks.go (task API and lifecycle),
// ecs_scheduler.go (placement, rolling deployments, draining, circuit
// breaker), ecs_filter.go (cluster query language), ecs_world.go (world
// loader).

// ecsState is the ECS part of the account. Everything here is saved with the
// account; the unexported indexes are rebuilt after Load.
type ecsState struct {
	Clusters  map[string]*ecsCluster  `json:"clusters"`  // by name
	Families  map[string]*ecsFamily   `json:"families"`  // by family name
	Tasks     map[string]*ecsTask     `json:"tasks"`     // by task ARN, until expired
	Instances map[string]*ecsInstance `json:"instances"` // by container instance ARN
	// EC2Index maps an EC2 instance ID to its latest container instance ARN.
	EC2Index map[string]string `json:"ec2Index"`
	// Unregistered holds agents whose cluster does not exist (yet): the
	// agent keeps retrying, so they register when the cluster is created,
	// in the order they booted.
	Unregistered      []InstanceInfo                     `json:"unregistered,omitempty"`
	CapacityProviders map[string]*types.CapacityProvider `json:"capacityProviders"` // by name

	svcTasks     map[string]map[string]bool // service ARN → its tasks (any status)
	instTasks    map[string]map[string]bool // container instance ARN → tasks not STOPPED
	clusterTasks map[string]map[string]bool // cluster name → its tasks (any status)
}

// ecsCluster is one cluster and its services.
type ecsCluster struct {
	Name      string                 `json:"name"`
	Arn       string                 `json:"arn"`
	Status    string                 `json:"status"`
	Tags      []types.Tag            `json:"tags,omitempty"`
	Services  map[string]*ecsService `json:"services"` // by name
	Instances []string               `json:"instances"`
	// CapacityProviders names the providers associated with the cluster.
	CapacityProviders []string `json:"capacityProviders,omitempty"`
	// RunTaskTokens are the RunTask client tokens used in the cluster, with
	// what the call answered (ecs_runtask.go: a retry gets the same tasks).
	RunTaskTokens map[string]*runTaskToken `json:"runTaskTokens,omitempty"`
}

// ecsService is a service: the SDK shape plus the scheduler's bookkeeping.
type ecsService struct {
	Svc     types.Service `json:"svc"`
	Cluster string        `json:"cluster"`
	// LastCompletedTaskDef is the task definition of the last deployment that
	// completed (the circuit breaker rolls back to it).
	LastCompletedTaskDef string `json:"lastCompletedTaskDef,omitempty"`
	SchedQueued          bool   `json:"schedQueued,omitempty"`
	RetryQueued          bool   `json:"retryQueued,omitempty"`
	// LastUnable is when the last "unable to place" event was written.
	LastUnable time.Time `json:"lastUnable"`
	Steady     bool      `json:"steady"`
	// Observed: the recorder follows the service once it was steady once.
	Observed     bool `json:"observed"`
	LastHealthy  int  `json:"lastHealthy"`
	StableDesire int  `json:"stableDesired"`
	// SvcDeployments are the service deployments, oldest first (see
	// ecs_service_deployments.go).
	SvcDeployments []*ecsSvcDeployment `json:"svcDeployments,omitempty"`
	// SvcRevisions are the service revisions its deployments created.
	SvcRevisions []types.ServiceRevision `json:"svcRevisions,omitempty"`
}

// ecsTask is one task.
type ecsTask struct {
	Task       types.Task `json:"task"`
	Cluster    string     `json:"cluster"`
	Service    string     `json:"service,omitempty"` // service ARN
	Deployment string     `json:"deployment,omitempty"`
	Instance   string     `json:"instance"` // container instance ARN
	CPU        int        `json:"cpu"`
	Memory     int        `json:"memory"`
	// HostPorts are the static host ports the task holds on its instance.
	HostPorts []int32 `json:"hostPorts,omitempty"`
	// TargetGroup and TargetPort: where the task is registered (if at all).
	TargetGroup string `json:"targetGroup,omitempty"`
	TargetPort  int32  `json:"targetPort,omitempty"`
	TargetKey   string `json:"targetKey,omitempty"` // key in the group's Targets
	// PrivateIP is the address of an awsvpc task's network interface.
	PrivateIP string `json:"privateIp,omitempty"`
	// ByScheduler: the service scheduler stopped it (it was replaced).
	ByScheduler bool `json:"byScheduler,omitempty"`
	Failed      bool `json:"failed,omitempty"`
}

// ecsInstance is one container instance.
type ecsInstance struct {
	CI      types.ContainerInstance `json:"ci"`
	Cluster string                  `json:"cluster"`
	AZ      string                  `json:"az"`
	CPU     int                     `json:"cpu"` // registered units
	Memory  int                     `json:"memory"`
	CPUUsed int                     `json:"cpuUsed"`
	MemUsed int                     `json:"memUsed"`
	// Ports in use by tasks (static host ports and dynamic ones).
	Ports   []int32 `json:"ports,omitempty"`
	ASGName string  `json:"asgName,omitempty"`
	// DrainedLogged: the timeline has the instance's drain completion.
	DrainedLogged bool `json:"drainedLogged,omitempty"`
	// fargate marks a transient stand-in for Fargate capacity (never stored
	// in Instances; see ecs_fargate.go).
	fargate *fargateHost
}

// ecsFamily holds the revisions of a task definition family (index rev-1).
type ecsFamily struct {
	Name      string        `json:"name"`
	Revisions []*ecsTaskDef `json:"revisions"`
}

// ecsTaskDef is one revision and its tags.
type ecsTaskDef struct {
	TD      types.TaskDefinition `json:"td"`
	Tags    []types.Tag          `json:"tags,omitempty"`
	Deleted bool                 `json:"deleted,omitempty"`
}

func newECSState() *ecsState {
	e := &ecsState{
		Clusters:          map[string]*ecsCluster{},
		Families:          map[string]*ecsFamily{},
		Tasks:             map[string]*ecsTask{},
		Instances:         map[string]*ecsInstance{},
		EC2Index:          map[string]string{},
		CapacityProviders: map[string]*types.CapacityProvider{},
	}
	e.rebuildIndexes()
	return e
}

func init() {
	registerAfterLoad(func(s *Sim) {
		e := s.ecs
		if e.Clusters == nil {
			// No ECS in the file: the target groups saved with it
			// (persist.go) go too.
			*e = *newECSState()
			*s.elb = *newELBState()
			return
		}
		if e.EC2Index == nil {
			e.EC2Index = map[string]string{}
		}
		if e.CapacityProviders == nil {
			e.CapacityProviders = map[string]*types.CapacityProvider{}
		}
		e.rebuildIndexes()
	})
}

func (e *ecsState) rebuildIndexes() {
	e.svcTasks = map[string]map[string]bool{}
	e.instTasks = map[string]map[string]bool{}
	e.clusterTasks = map[string]map[string]bool{}
	for arn, t := range e.Tasks {
		e.index(arn, t)
	}
}

func addIdx(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

func delIdx(m map[string]map[string]bool, k, v string) {
	if set := m[k]; set != nil {
		delete(set, v)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

func (e *ecsState) index(arn string, t *ecsTask) {
	addIdx(e.clusterTasks, t.Cluster, arn)
	if t.Service != "" {
		addIdx(e.svcTasks, t.Service, arn)
	}
	if aws.ToString(t.Task.LastStatus) != "STOPPED" && t.Instance != "" {
		addIdx(e.instTasks, t.Instance, arn)
	}
}

// ---- hooks called by the EC2 / Auto Scaling side ----

// ecsRegisterInstance registers (or refreshes) the container instance of a
// booted EC2 instance with its cluster.
func (s *Sim) ecsRegisterInstance(info InstanceInfo) {
	e := s.ecs
	c := e.Clusters[info.Cluster]
	if c == nil || c.Status != "ACTIVE" {
		e.dropUnregistered(info.InstanceID)
		e.Unregistered = append(e.Unregistered, info)
		return
	}
	e.dropUnregistered(info.InstanceID)
	if arn, ok := e.EC2Index[info.InstanceID]; ok {
		if in := e.Instances[arn]; in != nil && aws.ToString(in.CI.Status) != "INACTIVE" && in.Cluster == info.Cluster {
			in.CI.AgentConnected = true
			in.CI.Attributes = s.ecsInstanceAttributes(info)
			s.ecsKickCluster(c)
			return
		}
	}
	id := s.newID("task")
	arn := s.arn("ecs", "container-instance/"+c.Name+"/"+id)
	cpu := info.VCPU * 1024
	mem := info.MemoryMiB - (128 + info.MemoryMiB/20)
	if mem < 0 {
		mem = 0
	}
	at := s.Now()
	in := &ecsInstance{
		Cluster: c.Name, AZ: info.AvailabilityZone, CPU: cpu, Memory: mem, ASGName: info.ASGName,
		CI: types.ContainerInstance{
			ContainerInstanceArn: aws.String(arn),
			Ec2InstanceId:        aws.String(info.InstanceID),
			AgentConnected:       true,
			Status:               aws.String("ACTIVE"),
			RegisteredAt:         aws.Time(at),
			Attributes:           s.ecsInstanceAttributes(info),
			Version:              1,
			VersionInfo: &types.VersionInfo{
				AgentVersion:  aws.String("1.89.2"),
				AgentHash:     aws.String("a2ef2e8a"),
				DockerVersion: aws.String("DockerVersion: 25.0.8"),
			},
		},
	}
	for _, cp := range e.CapacityProviders {
		if cp.AutoScalingGroupProvider != nil && info.ASGName != "" &&
			strings.HasSuffix(aws.ToString(cp.AutoScalingGroupProvider.AutoScalingGroupArn), "autoScalingGroupName/"+info.ASGName) {
			in.CI.CapacityProviderName = cp.Name
		}
	}
	e.Instances[arn] = in
	e.EC2Index[info.InstanceID] = arn
	c.Instances = append(c.Instances, arn)
	s.rec.timeline(at, "instance-registered", c.Name+": "+info.InstanceID+" ("+info.ImageID+", "+info.AvailabilityZone+")")
	s.ecsKickCluster(c)
}

func (e *ecsState) dropUnregistered(id string) {
	kept := e.Unregistered[:0]
	for _, u := range e.Unregistered {
		if u.InstanceID != id {
			kept = append(kept, u)
		}
	}
	e.Unregistered = kept
}

// ecsInstanceAttributes are the attributes an ECS agent reports.
func (s *Sim) ecsInstanceAttributes(info InstanceInfo) []types.Attribute {
	// ecs.cpu-architecture is x86_64 or arm64 (ECS developer guide,
	// "Container instance attributes"), the instance type's.
	arch := archOfType(info.InstanceType)
	names := []string{
		"com.amazonaws.ecs.capability.logging-driver.awslogs",
		"com.amazonaws.ecs.capability.logging-driver.json-file",
		"com.amazonaws.ecs.capability.logging-driver.syslog",
		"com.amazonaws.ecs.capability.logging-driver.none",
		"com.amazonaws.ecs.capability.docker-remote-api.1.17",
		"com.amazonaws.ecs.capability.docker-remote-api.1.18",
		"com.amazonaws.ecs.capability.docker-remote-api.1.19",
		"com.amazonaws.ecs.capability.docker-remote-api.1.21",
		"com.amazonaws.ecs.capability.docker-remote-api.1.24",
		"com.amazonaws.ecs.capability.docker-remote-api.1.29",
		"com.amazonaws.ecs.capability.docker-remote-api.1.32",
		"com.amazonaws.ecs.capability.docker-remote-api.1.44",
		"com.amazonaws.ecs.capability.ecr-auth",
		"com.amazonaws.ecs.capability.task-iam-role",
		"com.amazonaws.ecs.capability.task-iam-role-network-host",
		"ecs.capability.execution-role-awslogs",
		"ecs.capability.execution-role-ecr-pull",
		"ecs.capability.secrets.ssm.environment-variables",
		"ecs.capability.secrets.asm.environment-variables",
		"ecs.capability.container-ordering",
		"ecs.capability.container-health-check",
		"ecs.capability.task-eni",
		"ecs.capability.task-cpu-mem-limit",
		"ecs.capability.full-sync",
		"ecs.capability.env-files.s3",
		"ecs.capability.logging-driver.awsfirelens",
	}
	attrs := make([]types.Attribute, 0, len(names)+8)
	for _, n := range names {
		attrs = append(attrs, types.Attribute{Name: aws.String(n)})
	}
	kv := [][2]string{
		{"ecs.ami-id", info.ImageID},
		{"ecs.availability-zone", info.AvailabilityZone},
		{"ecs.instance-type", info.InstanceType},
		{"ecs.os-type", "linux"},
		{"ecs.os-family", "LINUX"},
		{"ecs.cpu-architecture", arch},
		{"ecs.vpc-id", "vpc-0a1b2c3d4e5f60718"},
		{"ecs.subnet-id", "subnet-0" + strings.Repeat(lastRune(info.AvailabilityZone), 16)},
	}
	for _, p := range kv {
		attrs = append(attrs, types.Attribute{Name: aws.String(p[0]), Value: aws.String(p[1])})
	}
	return attrs
}

func lastRune(s string) string {
	if s == "" {
		return "a"
	}
	return s[len(s)-1:]
}

// ecsInstanceGone is called when an EC2 instance shuts down: its container
// instance becomes INACTIVE and its tasks stop at once, without draining.
func (s *Sim) ecsInstanceGone(instanceID string) {
	e := s.ecs
	e.dropUnregistered(instanceID)
	arn, ok := e.EC2Index[instanceID]
	if !ok {
		return
	}
	in := e.Instances[arn]
	if in == nil || aws.ToString(in.CI.Status) == "INACTIVE" {
		return
	}
	in.CI.Status = aws.String("INACTIVE")
	in.CI.AgentConnected = false
	in.CI.Version++
	var unreplaced []string
	reason := "Host EC2 (instance " + instanceID + ") terminated."
	for _, ta := range sortedKeys(e.instTasks[arn]) {
		t := e.Tasks[ta]
		if t == nil {
			continue
		}
		counted := t.Service != "" && !t.ByScheduler
		if svc := s.ecsTaskService(t); svc != nil && svc.Svc.SchedulingStrategy == types.SchedulingStrategyDaemon {
			counted = false // a daemon task goes with its instance
		}
		if counted {
			unreplaced = append(unreplaced, ta)
		}
		if aws.ToString(t.Task.DesiredStatus) != "STOPPED" {
			t.Task.DesiredStatus = aws.String("STOPPED")
			t.Task.StoppedReason = aws.String(reason)
			t.Task.StopCode = types.TaskStopCodeTerminationNotice
			t.Task.StoppingAt = aws.Time(s.Now())
		}
		s.ecsFinishStop(t, 137, "instance terminated")
		if counted {
			s.ecsNoteKilled(t, reason)
		}
	}
	if len(unreplaced) > 0 {
		by := "ec2"
		if s.ec2InstanceTerminationCause(instanceID) == spotInterruptionCause {
			by = spotInterruptionCause // EC2 reclaimed it: not the doing of whoever runs the fleet
		}
		s.rec.terminatedWithTasks(s.Now(), instanceID, unreplaced, by)
	}
	s.rec.timeline(s.Now(), "instance-deregistered", in.Cluster+": "+instanceID+" terminated")
	s.after(ecsInactiveInstanceRetention, evInstanceExpire, arn)
}

// ECS keeps an INACTIVE container instance describable for about an hour.
const ecsInactiveInstanceRetention = time.Hour

const evInstanceExpire = "ecs.instanceExpire" // key: container instance ARN

func init() {
	registerEvent(evInstanceExpire, func(s *Sim, arn string) {
		in := s.ecs.Instances[arn]
		if in == nil || aws.ToString(in.CI.Status) != "INACTIVE" {
			return
		}
		delete(s.ecs.Instances, arn)
		if s.ecs.EC2Index[aws.ToString(in.CI.Ec2InstanceId)] == arn {
			delete(s.ecs.EC2Index, aws.ToString(in.CI.Ec2InstanceId))
		}
		if c := s.ecs.Clusters[in.Cluster]; c != nil {
			kept := c.Instances[:0]
			for _, a := range c.Instances {
				if a != arn {
					kept = append(kept, a)
				}
			}
			c.Instances = kept
		}
	})
}

// ecsInstanceTaskCount counts the tasks still on an instance (not STOPPED):
// all of them, and those of replica services (daemon tasks go with their
// instance and are not counted as service tasks).
func (s *Sim) ecsInstanceTaskCount(instanceID string) (serviceTasks, allTasks int) {
	arn, ok := s.ecs.EC2Index[instanceID]
	if !ok {
		return 0, 0
	}
	for ta := range s.ecs.instTasks[arn] {
		t := s.ecs.Tasks[ta]
		if t == nil {
			continue
		}
		allTasks++
		if svc := s.ecsTaskService(t); svc != nil && svc.Svc.SchedulingStrategy != types.SchedulingStrategyDaemon {
			serviceTasks++
		}
	}
	return serviceTasks, allTasks
}

// ---- lookups and small helpers ----

// ecsClusterName takes a cluster name or ARN (default "default").
func ecsClusterName(ref *string) string {
	r := aws.ToString(ref)
	if r == "" {
		return "default"
	}
	if strings.HasPrefix(r, "arn:") {
		if i := strings.Index(r, ":cluster/"); i >= 0 {
			return r[i+len(":cluster/"):]
		}
	}
	return r
}

// ecsBatch checks the length of the list of names or ARNs a Describe* call
// takes (what: the list as ECS's message names it).
func ecsBatch(what string, n, max int) error {
	if n == 0 {
		return apiErr("InvalidParameterException", "%s cannot be empty.", what)
	}
	if n > max {
		return apiErr("InvalidParameterException", "%s cannot have more than %d elements.", what, max)
	}
	return nil
}

func (s *Sim) ecsGetCluster(ref *string) (*ecsCluster, error) {
	c := s.ecs.Clusters[ecsClusterName(ref)]
	if c == nil || c.Status == "INACTIVE" {
		return nil, apiErr("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

// lastPart returns what follows the last '/' of an ARN (or the string).
func lastPart(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// ecsArnCluster returns the cluster named in a long-format ARN ("" for a name).
func ecsArnCluster(ref string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ""
	}
	parts := strings.Split(ref, "/")
	if len(parts) >= 3 {
		return parts[len(parts)-2]
	}
	return ""
}

// ecsPage cuts one page out of items for a List call: nextToken is an
// opaque offset, maxResults at most 100 (and at most s.PageSize()).
func (s *Sim) ecsPage(items []string, token *string, maxResults *int32) ([]string, *string, error) {
	return s.ecsPageN(items, token, maxResults, 100, 100)
}

// ecsPageN is ecsPage for a call whose pages hold at most most items, and
// def items when maxResults is not given (ListServices: 10, as AWS).
func (s *Sim) ecsPageN(items []string, token *string, maxResults *int32, most, def int) ([]string, *string, error) {
	limit := min(s.PageSize(), def)
	if maxResults != nil {
		if *maxResults < 1 || int(*maxResults) > most {
			return nil, nil, apiErr("InvalidParameterException", "maxResults must be between 1 and %d.", most)
		}
		limit = min(s.PageSize(), int(*maxResults))
	}
	start, err := decodeToken(token)
	if err != nil || start < 0 {
		return nil, nil, apiErr("InvalidParameterException", "Invalid nextToken.")
	}
	if start > len(items) { // the list shrank since the last page (tasks stopped): a token stays valid
		return nil, nil, nil
	}
	end := start + limit
	if end >= len(items) {
		return items[start:], nil, nil
	}
	return items[start:end], encodeToken(end), nil
}

func encodeToken(off int) *string {
	return aws.String(base64.RawURLEncoding.EncodeToString([]byte("sim-offset:" + strconv.Itoa(off))))
}

func decodeToken(token *string) (int, error) {
	if token == nil || *token == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(b), "sim-offset:")
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(n)
}

func hasField[T ~string](fields []T, want string) bool {
	for _, f := range fields {
		if string(f) == want {
			return true
		}
	}
	return false
}

func copyTags(tags []types.Tag) []types.Tag {
	if len(tags) == 0 {
		return nil
	}
	return append([]types.Tag(nil), tags...)
}

func tagsFromMap(m map[string]string) []types.Tag {
	var tags []types.Tag
	for _, k := range sortedKeys(m) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return tags
}
