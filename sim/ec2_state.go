package sim

// Owned by the EC2 / Auto Scaling / STS subsystem (ec2_*.go, asg_*.go,
// sts_*.go). This stub lets the other subsystems compile on their own.

type ec2State struct{}

func newEC2State() *ec2State { return &ec2State{} }
