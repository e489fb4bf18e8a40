package sim

// Owned by the Logs / CloudWatch / ECR / SSM subsystem (logs_*.go, cw_*.go,
// ecr_*.go, ssm_*.go). This stub lets the other subsystems compile on their own.

type logsState struct{}

func newLogsState() *logsState { return &logsState{} }

func (s *Sim) logsTaskStarted(t TaskInfo) {}

func (s *Sim) logsTaskStopped(taskArn string, exitCodes map[string]int) {}

func (s *Sim) ecrImageStatus(image string) ImageStatus { return ImageStatus{Exists: true} }
