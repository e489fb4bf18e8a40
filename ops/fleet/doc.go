// Package fleet moves and resizes a cluster's EC2 capacity without losing
// service tasks: rotate-ami (scale out, check the new instances, drain the
// old in batches, terminate through the Auto Scaling group, resume or
// abort a run from the state kept in the group's tags), the drain of a
// batch that rotations and scale-ins share, and cluster scaling (scale-out
// by desired capacity, scale-in only by draining chosen instances).
//
// A run keeps nothing on disk: what a killed run needs to go on is in AWS
// (the group's tags, instance states, services' deployments), so running
// the same command again resumes it. Nothing here terminates an instance
// that still runs service tasks.
package fleet
