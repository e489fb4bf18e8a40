package sim

type aasState struct{}

func newAASState() *aasState { return &aasState{} }
