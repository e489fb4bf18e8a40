package sim

// edgeControllers adds cd-api, ext-api, bg-api and canary-api in the edge cluster.
// (Filled in by the part's owner; see world_edge.go.)
func edgeControllers(w *World, edge *ClusterSpec) {}
