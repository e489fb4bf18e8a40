// Package sim is ecsctl's sandbox: a simulated AWS account (ECS, EC2, Auto
// Scaling, ELBv2, CloudWatch, CloudWatch Logs, ECR, SSM, STS, Application
// Auto Scaling) that speaks the real AWS wire protocols over HTTP and moves
// on a virtual clock.
//
// # Where things live
//
//   - The account: sim.go holds Sim, its virtual clock and its event queue
//     (the scheduler of everything timed: s.after/s.schedule, handlers
//     registered with registerEvent). persist.go saves and loads it.
//   - The wire: package sim/wire decodes requests into the SDK's own input
//     types and encodes outputs and errors (awsJson, RPC v2 CBOR, awsQuery,
//     ec2Query). server.go picks the protocol and the operation, injects
//     faults (faults*.go), locks the account and calls the operation;
//     registry.go is the table of operations (register()).
//   - The state: each service's plain records in its own struct and file,
//     reached from Sim — s.ecs (ecs_state.go), s.elb (elb_state.go), s.ec2
//     (ec2_state.go), s.asg (asg_state.go), s.logs (logs_state.go), s.cw
//     (cw_state.go), s.ecr (ecr_state.go), s.ssm (ssm_state.go), s.aas
//     (aas_state.go). hooks.go lists the calls between the EC2/Auto
//     Scaling, ECS and Logs/ECR/CloudWatch sides.
//   - The services' operations, by file prefix: ecs_ (clusters, task
//     definitions, services, tasks, deployments, Fargate), elb_, ec2_
//     (instances, launch templates, Spot, filters), asg_ (groups, scaling,
//     instance refresh, mixed instances, fleet extras), logs_ (including Live
//     Tail), cw_, ecr_, ssm_, sts_, aas_.
//   - ECS's scheduler: ecs_scheduler.go (placement, rolling deployments,
//     draining, circuit breaker), ecs_service_deployments.go (service
//     deployments, revisions, strategies), ecs_managed_scaling.go; Auto
//     Scaling's in asg_scaling.go.
//   - The worlds: world.go is the World spec a user writes and LoadWorld;
//     worlds.go and world_edge*.go are the built-in worlds; each service loads
//     its part with registerWorldLoader (ecs_world.go, ec2_world.go, …).
//   - What tests and ecsctl read besides AWS calls: recorder.go (invariants
//     and the timeline), reqlog.go (the request log), the /_sandbox control
//     endpoints in server.go.
//   - Tests of ops code: package sim/simtest serves an account on a manual
//     clock and gives an ops.Clock whose waits advance it (virtual time).
//
// # Rules every service follows
//
//   - Operations run with s.mu held (the server takes it); never lock inside one.
//   - All state is plain data in exported fields (SDK types are fine) so the
//     account can be saved to JSON and loaded again (--state); no closures,
//     channels or pointers shared between services in state.
//   - Time is s.Now() (virtual). Work that happens later is an event scheduled
//     with s.schedule(at, kind, key); the queue is data, so it is saved too.
//   - Cost is O(changes): nothing walks every task or instance on every tick.
package sim
