package sim

// edgeFleetAMI adds clusters graviton, mixed, alias and bottlerocket.
// (Filled in by the part's owner; see world_edge.go.)
func edgeFleetAMI(w *World) {}
