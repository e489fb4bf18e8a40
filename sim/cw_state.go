package sim

type cwState struct{}

func newCWState() *cwState { return &cwState{} }
