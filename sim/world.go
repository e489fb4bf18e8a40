package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// World describes an account to start from. It is plain JSON a user can
// write (see `ecsctl sandbox --world FILE.json`); the built-in worlds (small,
// demo, large) are generated into the same structure.
//
// Instances listed under an Auto Scaling group exist and are registered with
// their cluster at load; services start steady, their tasks already placed.
type World struct {
	Name      string `json:"name,omitempty"`
	Region    string `json:"region,omitempty"`    // default us-east-1
	AccountID string `json:"accountId,omitempty"` // default 123456789012
	// AvailabilityZones default to the region's a, b and c.
	AvailabilityZones []string `json:"availabilityZones,omitempty"`
	Timings           *Timings `json:"timings,omitempty"`
	// Faults is a fault specification as for --faults ("throttle=0.2,...").
	Faults string `json:"faults,omitempty"`

	AMIs              []AMISpec            `json:"amis,omitempty"`
	InstanceTypes     []InstanceTypeSpec   `json:"instanceTypes,omitempty"` // added to the built-in table
	SSMParameters     map[string]string    `json:"ssmParameters,omitempty"`
	LaunchTemplates   []LaunchTemplateSpec `json:"launchTemplates,omitempty"`
	AutoScalingGroups []ASGSpec            `json:"autoScalingGroups,omitempty"`
	Clusters          []ClusterSpec        `json:"clusters,omitempty"`
	Repositories      []RepositorySpec     `json:"repositories,omitempty"`
	Logs              *LogsSpec            `json:"logs,omitempty"`
	// ForeignRepositories are ECR repositories in other accounts'
	// registries that this account's tasks pull from (ecr_foreign.go).
	ForeignRepositories []ForeignRepositorySpec `json:"foreignRepositories,omitempty"`
	// PullThroughCacheRules of this account's registry (ecr_foreign.go).
	PullThroughCacheRules []PullThroughCacheRuleSpec `json:"pullThroughCacheRules,omitempty"`
	// Schedules are EventBridge Scheduler schedules and Rules EventBridge
	// rules that run ECS tasks (scheduler_state.go).
	Schedules []ScheduleSpec `json:"schedules,omitempty"`
	Rules     []RuleSpec     `json:"rules,omitempty"`
}

// Timings are the simulation's delays, in virtual time.
type Timings struct {
	// InstanceBoot: launch until the instance is running and its ECS agent
	// has registered the container instance (default 90s).
	InstanceBoot Duration `json:"instanceBoot"`
	// InstanceShutdown: terminate until terminated (default 30s).
	InstanceShutdown Duration `json:"instanceShutdown"`
	// TaskStart: image pull and container start, PENDING → RUNNING (default 20s).
	TaskStart Duration `json:"taskStart"`
	// HealthCheckGrace: load-balancer health checks pass this long after a
	// task starts running (default 30s).
	HealthCheckGrace Duration `json:"healthCheckGrace"`
	// DeregistrationDelay: a load-balancer target drains this long (default 300s).
	DeregistrationDelay Duration `json:"deregistrationDelay"`
	// TaskStopTimeout: STOPPING until STOPPED (SIGTERM to SIGKILL, default 30s).
	TaskStopTimeout Duration `json:"taskStopTimeout"`
	// CrashAfter: containers whose image tag starts with "crash-" exit 1 this
	// long after they start running (default 10s).
	CrashAfter Duration `json:"crashAfter"`
	// SchedulerInterval: how often the service scheduler retries placement
	// and launches the next batch (default 15s).
	SchedulerInterval Duration `json:"schedulerInterval"`
	// MetricsPeriod: how often metrics are published (default 60s).
	MetricsPeriod Duration `json:"metricsPeriod"`
}

// DefaultTimings are the delays of a world that names none.
func DefaultTimings() Timings {
	return Timings{
		InstanceBoot:        Duration(90 * time.Second),
		InstanceShutdown:    Duration(30 * time.Second),
		TaskStart:           Duration(20 * time.Second),
		HealthCheckGrace:    Duration(30 * time.Second),
		DeregistrationDelay: Duration(300 * time.Second),
		TaskStopTimeout:     Duration(30 * time.Second),
		CrashAfter:          Duration(10 * time.Second),
		SchedulerInterval:   Duration(15 * time.Second),
		MetricsPeriod:       Duration(60 * time.Second),
	}
}

// AMISpec is an EC2 image.
type AMISpec struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	CreationDate string `json:"creationDate,omitempty"` // RFC 3339
	Description  string `json:"description,omitempty"`
	// Architecture is x86_64, arm64 (as DescribeImages reports it); default:
	// read from the name ("arm64" or "aarch64" in it: arm64).
	Architecture string `json:"architecture,omitempty"`
}

// InstanceTypeSpec sizes an instance type (1024 CPU units per vCPU).
type InstanceTypeSpec struct {
	Name      string `json:"name"`
	VCPU      int    `json:"vcpu"`
	MemoryMiB int    `json:"memoryMiB"`
}

// LaunchTemplateSpec is an EC2 launch template with its versions (1-based).
type LaunchTemplateSpec struct {
	ID             string                      `json:"id,omitempty"`
	Name           string                      `json:"name"`
	DefaultVersion int                         `json:"defaultVersion,omitempty"` // default 1
	Versions       []LaunchTemplateVersionSpec `json:"versions"`
}

// LaunchTemplateVersionSpec is one version's data.
type LaunchTemplateVersionSpec struct {
	ImageID      string `json:"imageId"`
	InstanceType string `json:"instanceType"`
	// Cluster is the ECS cluster the instance's agent joins (ECS_CLUSTER in
	// the user data, which the sandbox writes accordingly).
	Cluster     string `json:"cluster"`
	Description string `json:"description,omitempty"`
	// SpotDraining writes ECS_ENABLE_SPOT_INSTANCE_DRAINING=true in the
	// user data: the agent sets its container instance DRAINING when a Spot
	// interruption notice arrives.
	SpotDraining bool `json:"spotDraining,omitempty"`
}

// ASGSpec is an Auto Scaling group and the instances it already has.
type ASGSpec struct {
	Name           string `json:"name"`
	LaunchTemplate string `json:"launchTemplate"` // name
	// Version is "$Latest", "$Default" or a number (default "$Default").
	Version            string            `json:"version,omitempty"`
	Min                int               `json:"min"`
	Max                int               `json:"max"`
	Desired            int               `json:"desired"`
	AvailabilityZones  []string          `json:"availabilityZones,omitempty"` // default: the world's
	Tags               map[string]string `json:"tags,omitempty"`
	SuspendedProcesses []string          `json:"suspendedProcesses,omitempty"`
	// NewInstancesProtectedFromScaleIn as in the ASG setting.
	NewInstancesProtectedFromScaleIn bool `json:"newInstancesProtectedFromScaleIn,omitempty"`
	// Instances already running, spread over the zones round-robin. Their
	// counts must add up to Desired.
	Instances []InstanceGroupSpec `json:"instances,omitempty"`
	// CapacityProvider, when set, creates an ECS capacity provider for this
	// group in the cluster of its launch template.
	CapacityProvider *CapacityProviderSpec `json:"capacityProvider,omitempty"`
	// LifecycleHooks names the group's lifecycle hooks (terminating hooks
	// are reported; the sandbox completes them at once).
	LifecycleHooks []string `json:"lifecycleHooks,omitempty"`
	// MixedInstancesPolicy, when set, makes the group launch through the
	// policy (LaunchTemplate above is the policy's template; see asg_mixed.go).
	MixedInstancesPolicy *MixedInstancesPolicySpec `json:"mixedInstancesPolicy,omitempty"`
	// SpotInterruption, when set, has EC2 reclaim one of the Spot instances
	// the group launches after the world loads (see ec2_spot.go).
	SpotInterruption *SpotInterruptionSpec `json:"spotInterruption,omitempty"`
	// LifecycleHookSpecs are lifecycle hooks with their heartbeat timeout
	// and default result: an instance waits in Terminating:Wait until
	// CompleteLifecycleAction or the timeout.
	LifecycleHookSpecs []LifecycleHookSpec `json:"lifecycleHookSpecs,omitempty"`
	// ScalingPolicies of the group (DescribePolicies).
	ScalingPolicies []ScalingPolicySpec `json:"scalingPolicies,omitempty"`
	// ScheduledActions of the group, performed at their time.
	ScheduledActions []ScheduledActionSpec `json:"scheduledActions,omitempty"`
	// WarmPool gives the group a warm pool (DescribeWarmPool).
	WarmPool *WarmPoolSpec `json:"warmPool,omitempty"`
}

// InstanceGroupSpec is a number of like instances of a group.
type InstanceGroupSpec struct {
	Count int `json:"count"`
	// AMI defaults to the image of the group's launch template version.
	AMI string `json:"ami,omitempty"`
	// InstanceType defaults to the launch template's.
	InstanceType string `json:"instanceType,omitempty"`
	// LaunchTemplateVersion records which version launched them (default: the group's).
	LaunchTemplateVersion string `json:"launchTemplateVersion,omitempty"`
	ProtectedFromScaleIn  bool   `json:"protectedFromScaleIn,omitempty"`
	// AgeHours is how long before the world's start they were launched.
	AgeHours float64 `json:"ageHours,omitempty"`
	// RegisterAfter delays their ECS agents' registration this long after
	// the world loads: running and InService in the group, not yet in the
	// cluster, so no task on them (an agent still starting; see
	// world_late_registration.go). 0: registered at load.
	RegisterAfter Duration `json:"registerAfter,omitempty"`
}

// CapacityProviderSpec models an ECS capacity provider backed by an ASG.
type CapacityProviderSpec struct {
	Name                         string `json:"name"`
	ManagedScaling               bool   `json:"managedScaling,omitempty"`
	TargetCapacity               int    `json:"targetCapacity,omitempty"`
	ManagedTerminationProtection bool   `json:"managedTerminationProtection,omitempty"`
}

// ClusterSpec is an ECS cluster, its services and its standalone tasks.
type ClusterSpec struct {
	Name     string            `json:"name"`
	Tags     map[string]string `json:"tags,omitempty"`
	Services []ServiceSpec     `json:"services,omitempty"`
	// Tasks are standalone tasks (RunTask) already running.
	Tasks []StandaloneTaskSpec `json:"tasks,omitempty"`
	// CapacityProviders associates the Fargate providers (FARGATE,
	// FARGATE_SPOT) with the cluster, as PutClusterCapacityProviders does.
	CapacityProviders []string `json:"capacityProviders,omitempty"`
}

// ServiceSpec is an ECS service (launch type EC2 unless LaunchType or
// CapacityProviderStrategy say otherwise) and its task definition.
type ServiceSpec struct {
	Name string `json:"name"`
	// Family of the task definition (default: the service name).
	Family string `json:"family,omitempty"`
	// Revision of the live task definition (default 1); revisions
	// 1..Revision-1 exist too, as older ones of the family do.
	Revision int `json:"revision,omitempty"`
	Desired  int `json:"desired"`
	// MinimumHealthyPercent and MaximumPercent (defaults 100 and 200).
	MinimumHealthyPercent *int `json:"minimumHealthyPercent,omitempty"`
	MaximumPercent        *int `json:"maximumPercent,omitempty"`
	// CircuitBreaker enables the deployment circuit breaker.
	CircuitBreaker *CircuitBreakerSpec `json:"circuitBreaker,omitempty"`
	// Daemon makes it a DAEMON service (one task per instance; Desired ignored).
	Daemon bool `json:"daemon,omitempty"`
	// CPU and Memory at task level (units, MiB); default: sum of containers.
	CPU    int `json:"cpu,omitempty"`
	Memory int `json:"memory,omitempty"`
	// NetworkMode: bridge (default), host or awsvpc.
	NetworkMode          string                    `json:"networkMode,omitempty"`
	Containers           []ContainerSpec           `json:"containers"`
	PlacementConstraints []PlacementConstraintSpec `json:"placementConstraints,omitempty"`
	// LoadBalanced puts the service behind a target group
	// (<cluster>-<service>) on the first container's first port.
	LoadBalanced bool              `json:"loadBalanced,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	// TaskRoleArn and ExecutionRoleArn of the task definition.
	TaskRoleArn      string `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`
	// Autoscaling, when set, registers Application Auto Scaling bounds.
	Autoscaling *ServiceAutoscalingSpec `json:"autoscaling,omitempty"`
	// DeploymentController is ECS (default), CODE_DEPLOY or EXTERNAL; the
	// last two run the service's tasks in a task set.
	DeploymentController string `json:"deploymentController,omitempty"`
	// Strategy of the ECS controller: ROLLING (default), BLUE_GREEN, LINEAR
	// or CANARY. The last three need LoadBalanced (they shift traffic
	// between the service's target group and an alternate one).
	Strategy string `json:"strategy,omitempty"`
	// BakeTimeMinutes: both revisions keep running this long after the
	// production traffic shift of a BLUE_GREEN, LINEAR or CANARY deployment.
	BakeTimeMinutes *int `json:"bakeTimeMinutes,omitempty"`
	// Canary and Linear configure those strategies' traffic shifts.
	Canary *CanarySpec `json:"canary,omitempty"`
	Linear *LinearSpec `json:"linear,omitempty"`
	// LaunchType: EC2 (default) or FARGATE. A FARGATE service needs
	// networkMode awsvpc and task-level CPU and Memory, as AWS requires.
	LaunchType string `json:"launchType,omitempty"`
	// CapacityProviderStrategy, when set, replaces the launch type (the
	// service then has none); its providers must be associated with the
	// cluster (ClusterSpec.CapacityProviders, or an ASG's provider).
	CapacityProviderStrategy []CapacityProviderStrategySpec `json:"capacityProviderStrategy,omitempty"`
}

// CapacityProviderStrategySpec is one item of a capacity provider strategy.
type CapacityProviderStrategySpec struct {
	Provider string `json:"provider"`
	Weight   int    `json:"weight,omitempty"`
	Base     int    `json:"base,omitempty"`
}

// CircuitBreakerSpec is the deployment circuit breaker setting.
type CircuitBreakerSpec struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// ServiceAutoscalingSpec is an Application Auto Scaling target's bounds.
type ServiceAutoscalingSpec struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// PlacementConstraintSpec is an ECS placement constraint
// (distinctInstance, or memberOf with an expression).
type PlacementConstraintSpec struct {
	Type       string `json:"type"`
	Expression string `json:"expression,omitempty"`
}

// ContainerSpec is one container definition.
type ContainerSpec struct {
	Name string `json:"name"`
	// Image is a full reference; a bare "repo:tag" is taken to be in this
	// account's ECR registry.
	Image     string `json:"image"`
	Essential *bool  `json:"essential,omitempty"` // default true
	CPU       int    `json:"cpu,omitempty"`
	Memory    int    `json:"memory,omitempty"`
	// Ports are container ports (bridge mode maps them to dynamic host ports).
	Ports       []int             `json:"ports,omitempty"`
	Environment map[string]string `json:"environment,omitempty"`
	// Secrets map an env name to a valueFrom (SSM or Secrets Manager ARN).
	Secrets map[string]string `json:"secrets,omitempty"`
	// LogDriver: awslogs (default) or another driver name ("fluentd", "none").
	LogDriver string `json:"logDriver,omitempty"`
	// LogGroup defaults to /ecs/<cluster>/<service>; StreamPrefix to "ecs".
	LogGroup     string `json:"logGroup,omitempty"`
	StreamPrefix string `json:"streamPrefix,omitempty"`
	// DependsOn names containers that must start first (condition START).
	DependsOn []string `json:"dependsOn,omitempty"`
}

// StandaloneTaskSpec is a task started by RunTask (group "family:<family>").
type StandaloneTaskSpec struct {
	Family     string          `json:"family"`
	Count      int             `json:"count"`
	CPU        int             `json:"cpu,omitempty"`
	Memory     int             `json:"memory,omitempty"`
	Containers []ContainerSpec `json:"containers"`
	// Instance pins the tasks to one instance by index into the cluster's
	// instances in load order (default: placed like any task).
	Instance *int `json:"instance,omitempty"`
}

// RepositorySpec is an ECR repository and the tags pushed to it.
type RepositorySpec struct {
	Name      string   `json:"name"`
	Tags      []string `json:"tags,omitempty"`
	Immutable bool     `json:"immutable,omitempty"`
}

// LogsSpec tunes the log lines running tasks write.
type LogsSpec struct {
	// LinesPerMinute each running essential container writes (default 6).
	LinesPerMinute float64 `json:"linesPerMinute,omitempty"`
	// LateFraction of events arrive late, with older timestamps (default 0.05).
	LateFraction *float64 `json:"lateFraction,omitempty"`
	// MaxLateness bounds how old a late event's timestamp is (default 20s).
	MaxLateness Duration `json:"maxLateness,omitempty"`
	// RetainEvents per stream kept in memory (default 10000).
	RetainEvents int `json:"retainEvents,omitempty"`
}

// Duration is a time.Duration written in JSON as "90s", "5m" or seconds.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90s"-style strings or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want a value like 90s or 5m", s)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration %s: want a string like \"90s\" or a number of seconds", string(b))
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// ParseWorld reads a world from JSON, rejecting unknown fields and wrong types
// with an error that names the field.
func ParseWorld(data []byte) (*World, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return nil, fmt.Errorf("world: field %q: got %s, want %s", te.Field, te.Value, te.Type)
		}
		if se, ok := err.(*json.SyntaxError); ok {
			return nil, fmt.Errorf("world: JSON syntax error at byte %d: %v", se.Offset, se)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("world: the JSON is empty or cut short (%v)", err)
		}
		return nil, fmt.Errorf("world: %w", err)
	}
	if bytes.TrimSpace(data)[0] == 'n' { // null
		return nil, fmt.Errorf("world: null is not a world: want a JSON object")
	}
	if off := dec.InputOffset(); func() bool { _, err := dec.Token(); return err != io.EOF }() {
		return nil, fmt.Errorf("world: more data after the world object at byte %d: want one JSON object", off)
	}
	return &w, nil
}

// worldLoader fills one subsystem's part of the account from a world.
type worldLoader struct {
	order int
	name  string
	fn    func(s *Sim, w *World) error
}

var worldLoaders []worldLoader

// Load orders: EC2 (AMIs, launch templates, instances) before ECS (which
// places tasks on the instances) before the rest.
const (
	loadOrderEC2  = 10
	loadOrderASG  = 20
	loadOrderECS  = 30
	loadOrderELB  = 40
	loadOrderRest = 50
)

// registerWorldLoader adds a subsystem's loader (call from init()).
func registerWorldLoader(order int, name string, fn func(s *Sim, w *World) error) {
	worldLoaders = append(worldLoaders, worldLoader{order, name, fn})
	sort.SliceStable(worldLoaders, func(i, j int) bool { return worldLoaders[i].order < worldLoaders[j].order })
}

// LoadWorld fills an empty account from w.
func (s *Sim) LoadWorld(w *World) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.Region != "" {
		s.Region = w.Region
	}
	if w.AccountID != "" {
		s.AccountID = w.AccountID
	}
	if len(w.AvailabilityZones) == 0 {
		w.AvailabilityZones = []string{s.Region + "a", s.Region + "b", s.Region + "c"}
	}
	if w.Timings != nil {
		s.Timings = mergeTimings(s.Timings, *w.Timings)
	}
	if w.Faults != "" {
		f, err := ParseFaults(w.Faults)
		if err != nil {
			return fmt.Errorf("world: field \"faults\": %w", err)
		}
		s.faults = f
	}
	for _, l := range worldLoaders {
		if err := l.fn(s, w); err != nil {
			return fmt.Errorf("world: %s: %w", l.name, err)
		}
	}
	return nil
}

func mergeTimings(base, over Timings) Timings {
	pick := func(b, o Duration) Duration {
		if o != 0 {
			return o
		}
		return b
	}
	return Timings{
		InstanceBoot:        pick(base.InstanceBoot, over.InstanceBoot),
		InstanceShutdown:    pick(base.InstanceShutdown, over.InstanceShutdown),
		TaskStart:           pick(base.TaskStart, over.TaskStart),
		HealthCheckGrace:    pick(base.HealthCheckGrace, over.HealthCheckGrace),
		DeregistrationDelay: pick(base.DeregistrationDelay, over.DeregistrationDelay),
		TaskStopTimeout:     pick(base.TaskStopTimeout, over.TaskStopTimeout),
		CrashAfter:          pick(base.CrashAfter, over.CrashAfter),
		SchedulerInterval:   pick(base.SchedulerInterval, over.SchedulerInterval),
		MetricsPeriod:       pick(base.MetricsPeriod, over.MetricsPeriod),
	}
}

// LogGroupFor is the awslogs group of a container of service in cluster:
// the spec's LogGroup, or /ecs/<cluster>/<service>.
func (c ContainerSpec) LogGroupFor(cluster, service string) string {
	if c.LogGroup != "" {
		return c.LogGroup
	}
	return "/ecs/" + cluster + "/" + service
}

// StreamPrefixOrDefault is the awslogs-stream-prefix (default "ecs").
func (c ContainerSpec) StreamPrefixOrDefault() string {
	if c.StreamPrefix != "" {
		return c.StreamPrefix
	}
	return "ecs"
}

// LogDriverOrDefault is the container's log driver (default "awslogs").
func (c ContainerSpec) LogDriverOrDefault() string {
	if c.LogDriver != "" {
		return c.LogDriver
	}
	return "awslogs"
}

// IsEssential reports the container's essential flag (default true).
func (c ContainerSpec) IsEssential() bool { return c.Essential == nil || *c.Essential }

// ECRRegistry is this account's ECR registry host.
func (s *Sim) ECRRegistry() string {
	return s.AccountID + ".dkr.ecr." + s.Region + ".amazonaws.com"
}

// FullImage expands a bare "repo:tag" (no registry host) to this account's
// ECR registry; references that name a registry are returned unchanged.
// A first path part with a '.' or ':' or "localhost" is a registry host.
func (s *Sim) FullImage(image string) string {
	first, _, hasSlash := strings.Cut(image, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return image
	}
	return s.ECRRegistry() + "/" + image
}
