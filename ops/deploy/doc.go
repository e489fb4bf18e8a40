// Package deploy is ecsctl's deploy feature: `ecsctl deploy` and
// `ecsctl rollback` (Deployer), the task definition copy and diff, image
// references, and revision pruning. It reads AWS through ops/awsapi and
// builds on the ops root (errors, clock, progress events, what other
// features share about a service); the ops root never imports it.
package deploy
