package sim

// edgeRegistries adds a repository in another account's registry and a pull-through cache.
// (Filled in by the part's owner; see world_edge.go.)
func edgeRegistries(w *World) {}
