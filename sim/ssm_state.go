package sim

type ssmState struct{}

func newSSMState() *ssmState { return &ssmState{} }
