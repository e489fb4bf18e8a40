package sim

// Owned by the ECS subsystem (ecs_*.go, elb_*.go). This stub lets the other
// subsystems compile on their own; the ECS work replaces it.

type ecsState struct{}

func newECSState() *ecsState { return &ecsState{} }

func (s *Sim) ecsRegisterInstance(info InstanceInfo) {}

func (s *Sim) ecsInstanceGone(instanceID string) {}

func (s *Sim) ecsInstanceTaskCount(instanceID string) (serviceTasks, allTasks int) { return 0, 0 }

func (s *Sim) ecsUsage() []ClusterUsage { return nil }
