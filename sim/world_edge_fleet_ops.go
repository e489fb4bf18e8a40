package sim

// edgeFleetOps adds clusters managed and hooked.
// (Filled in by the part's owner; see world_edge.go.)
func edgeFleetOps(w *World) {}
