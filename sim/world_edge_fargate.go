package sim

// edgeFargate adds fargate-api, spot-worker and nocpu-api in the edge cluster.
// (Filled in by the part's owner; see world_edge.go.)
func edgeFargate(w *World, edge *ClusterSpec) {}
