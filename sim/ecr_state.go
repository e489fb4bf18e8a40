package sim

type ecrState struct{}

func newECRState() *ecrState { return &ecrState{} }

func (s *Sim) ecrImageStatus(image string) ImageStatus { return ImageStatus{Exists: true} }
