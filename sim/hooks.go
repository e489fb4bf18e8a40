package sim

import "time"

// The subsystems talk to each other only through the functions listed here;
// each is implemented by the subsystem that owns the data, in its own files.
//
//   EC2/Auto Scaling → ECS:
//     s.ecsRegisterInstance(info InstanceInfo)
//         an instance finished booting and its agent registers with
//         info.Cluster (also called at world load for existing instances).
//     s.ecsInstanceGone(instanceID string)
//         an instance is shutting down (terminated, by anyone): its tasks die
//         at once without draining; the container instance becomes INACTIVE.
//     s.ecsInstanceTaskCount(instanceID string) (serviceTasks, allTasks int)
//         running or pending tasks on an instance (for reports and checks).
//   ECS → Logs/ECR:
//     s.logsTaskStarted(t TaskInfo)   a task's containers started running
//     s.logsTaskStopped(taskArn string, exitCodes map[string]int)
//     s.ecrImageStatus(image string) ImageStatus
//         whether a task may pull image (a missing ECR tag fails the task
//         with CannotPullContainerError, as in real life).
//   CloudWatch ← ECS:
//     s.ecsUsage() []ClusterUsage   reservations and utilization, read once
//         per metrics period to publish metrics.

// InstanceInfo is what the EC2 side tells ECS about a booted instance.
type InstanceInfo struct {
	InstanceID       string
	Cluster          string
	AvailabilityZone string
	InstanceType     string
	ImageID          string
	VCPU             int
	MemoryMiB        int
	PrivateIP        string
	LaunchTime       time.Time
	// ASGName is the group that launched it ("" for none).
	ASGName string
}

// TaskInfo is what ECS tells the logs subsystem about a running task.
type TaskInfo struct {
	TaskArn           string
	TaskID            string
	Cluster           string
	Group             string // "service:api" or "family:batch"
	TaskDefinitionArn string
	StartedAt         time.Time
	Containers        []ContainerLogInfo
}

// ContainerLogInfo is one container of a task and where its logs go.
type ContainerLogInfo struct {
	Name      string
	Image     string
	Essential bool
	// LogDriver is "awslogs" or another driver; only awslogs writes to
	// CloudWatch Logs.
	LogDriver    string
	LogGroup     string
	LogRegion    string
	StreamPrefix string
}

// ImageStatus says whether an image can be pulled.
type ImageStatus struct {
	// ECR is true when the image names a repository in this account's ECR
	// registry; other registries are always pullable.
	ECR bool
	// Exists is false for an ECR repository or tag that does not exist.
	Exists bool
}

// ClusterUsage is a cluster's reservations and utilization at one moment.
type ClusterUsage struct {
	Cluster        string
	CPURegistered  int // units
	MemRegistered  int // MiB
	CPUReserved    int
	MemReserved    int
	CPUUtilization float64 // percent of reserved, averaged over the cluster
	MemUtilization float64
	Services       []ServiceUsage
}

// ServiceUsage is a service's reservation and utilization at one moment.
type ServiceUsage struct {
	Service        string
	RunningTasks   int
	CPUReserved    int // task cpu × running
	MemReserved    int
	CPUUtilization float64 // percent of reserved
	MemUtilization float64
}
