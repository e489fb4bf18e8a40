package sim

// elbState is the ELBv2 part of the account (s.elb): the target groups of
// ECS services (elb_targets.go, elb_attributes.go) and the one load balancer
// per cluster that fronts them. The snapshot saves it inside "ecs"
// (persist.go).
type elbState struct {
	TargetGroups  map[string]*elbTargetGroup `json:"targetGroups"`  // by ARN
	LoadBalancers map[string]string          `json:"loadBalancers"` // cluster → ALB ARN
}

func newELBState() *elbState {
	return &elbState{TargetGroups: map[string]*elbTargetGroup{}, LoadBalancers: map[string]string{}}
}

func init() {
	// Restores the empty maps JSON leaves out.
	registerAfterLoad(func(s *Sim) {
		if s.elb.TargetGroups == nil {
			s.elb.TargetGroups = map[string]*elbTargetGroup{}
		}
		if s.elb.LoadBalancers == nil {
			s.elb.LoadBalancers = map[string]string{}
		}
	})
}
