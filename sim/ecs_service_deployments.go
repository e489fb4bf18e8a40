package sim

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Service deployments (ListServiceDeployments, DescribeServiceDeployments,
// StopServiceDeployment) and the ECS controller's traffic-shifting
// strategies (BLUE_GREEN, LINEAR, CANARY).
//
// As the ECS developer guide describes ("View service history using Amazon
// ECS service deployments", service-deployment.html): ECS creates a service
// deployment whenever a service of the ECS controller is created or starts a
// deployment; it is IN_PROGRESS, then SUCCESSFUL; a failure with rollback
// turns the same record ROLLBACK_IN_PROGRESS and then ROLLBACK_SUCCESSFUL or
// ROLLBACK_FAILED (ECS creates no new service revision for a rollback: it
// redeploys the last successful one); a failure without rollback, or a
// deployment another one replaced, ends STOPPED.
//
// A strategy deployment (deployment-type-blue-green.html) scales the new
// ("green") revision up to the full desired count next to the old ("blue")
// one, shifts test then production traffic, and keeps both running for
// bakeTimeInMinutes before the blue revision is scaled in (CLEAN_UP). The
// stages are the SDK's ServiceDeploymentLifecycleStage values. CANARY
// shifts canaryPercent first and the rest after canaryBakeTimeInMinutes;
// LINEAR shifts stepPercent per step with stepBakeTimeInMinutes between.
// Simplifications: there are no lifecycle hooks, green tasks register in
// the service's target group (not the alternate one), and each traffic
// step without its own bake takes one scheduler interval.

// CanarySpec is a CANARY strategy's canaryConfiguration.
type CanarySpec struct {
	Percent     float64 `json:"percent"`
	BakeMinutes int     `json:"bakeMinutes"`
}

// LinearSpec is a LINEAR strategy's linearConfiguration.
type LinearSpec struct {
	StepPercent     float64 `json:"stepPercent"`
	StepBakeMinutes int     `json:"stepBakeMinutes"`
}

const evSDStage = "ecs.sdStage" // key: service ARN; a strategy stage's time is up

func init() {
	register(SvcECS, "ListServiceDeployments", (*Sim).ecsListServiceDeployments)
	register(SvcECS, "DescribeServiceDeployments", (*Sim).ecsDescribeServiceDeployments)
	register(SvcECS, "StopServiceDeployment", (*Sim).ecsStopServiceDeployment)
	register(SvcECS, "DescribeServiceRevisions", (*Sim).ecsDescribeServiceRevisions)
	register(SvcECS, "DescribeTaskSets", (*Sim).ecsDescribeTaskSets)
	registerEvent(evSDStage, func(s *Sim, key string) {
		if svc := s.ecsServiceByArn(key); svc != nil && aws.ToString(svc.Svc.Status) == "ACTIVE" {
			s.sdAdvance(svc)
			s.ecsKickService(svc)
		}
	})
}

// ecsSvcDeployment is one service deployment and what the sandbox needs to
// drive it.
type ecsSvcDeployment struct {
	SD types.ServiceDeployment `json:"sd"`
	// Target is the id of the deployment (DescribeServices) it rolls out;
	// Sources are the ids of those that ran before.
	Target  string   `json:"target"`
	Sources []string `json:"sources,omitempty"`
	// SourceTaskDefs are the task definitions of the source revisions.
	SourceTaskDefs []string `json:"sourceTaskDefs,omitempty"`
	// RollbackTo is the deployment a rollback runs (rolling), or the
	// source one made PRIMARY again (strategies).
	RollbackTo string `json:"rollbackTo,omitempty"`
	// Strategy is the deployment's strategy (ROLLING, BLUE_GREEN, ...).
	Strategy string `json:"strategy"`
	// Weight is the production traffic share of the target, in percent.
	Weight float64 `json:"weight"`
	// StageEnds is when the current timed stage ends.
	StageEnds time.Time `json:"stageEnds"`
}

// sdStrategy is the service's deployment strategy ("" for the ECS
// controller's ROLLING default; "-" for other controllers).
func sdStrategy(svc *ecsService) string {
	if dc := svc.Svc.DeploymentController; dc != nil && dc.Type != "" && dc.Type != types.DeploymentControllerTypeEcs {
		return "-"
	}
	if dc := svc.Svc.DeploymentConfiguration; dc != nil && dc.Strategy != "" {
		return string(dc.Strategy)
	}
	return string(types.DeploymentStrategyRolling)
}

func shifting(strategy string) bool {
	return strategy == string(types.DeploymentStrategyBlueGreen) || strategy == string(types.DeploymentStrategyLinear) || strategy == string(types.DeploymentStrategyCanary)
}

// sdCurrent is the service's newest service deployment, or nil.
func sdCurrent(svc *ecsService) *ecsSvcDeployment {
	if len(svc.SvcDeployments) == 0 {
		return nil
	}
	return svc.SvcDeployments[len(svc.SvcDeployments)-1]
}

func sdOngoing(sd *ecsSvcDeployment) bool {
	switch sd.SD.Status {
	case types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress, types.ServiceDeploymentStatusRollbackInProgress,
		types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusStopRequested:
		return true
	}
	return false
}

// sdHoldsSource: a strategy deployment keeps the old revision's tasks until
// its CLEAN_UP stage (so the scheduler must not scale them in).
func (s *Sim) sdHoldsSource(svc *ecsService) bool {
	sd := sdCurrent(svc)
	return sd != nil && shifting(sd.Strategy) && sd.SD.Status == types.ServiceDeploymentStatusInProgress &&
		sd.SD.LifecycleStage != types.ServiceDeploymentLifecycleStageCleanUp
}

func (s *Sim) revisionArn(svc *ecsService, depID string) string {
	return s.arn("ecs", "service-revision/"+svc.Cluster+"/"+s.ecsSvcName(svc)+"/"+strings.TrimPrefix(depID, "ecs-svc/"))
}

// sdOnNewDeployment records the service deployment of a deployment the
// service just started (not for rollbacks, which reuse the failed one's).
func (s *Sim) sdOnNewDeployment(svc *ecsService, d *types.Deployment) {
	strategy := sdStrategy(svc)
	if strategy == "-" {
		return
	}
	now := s.Now()
	// A deployment still going is superseded by the new one.
	if cur := sdCurrent(svc); cur != nil && sdOngoing(cur) {
		s.sdEnd(svc, cur, types.ServiceDeploymentStatusStopped, "The service deployment was stopped because a new service deployment started.")
	}
	sd := &ecsSvcDeployment{Target: aws.ToString(d.Id), Strategy: strategy}
	for _, o := range svc.Svc.Deployments {
		if id := aws.ToString(o.Id); id != sd.Target {
			sd.Sources = append(sd.Sources, id)
			sd.SourceTaskDefs = append(sd.SourceTaskDefs, aws.ToString(o.TaskDefinition))
		}
	}
	dc := svc.Svc.DeploymentConfiguration
	cb := &types.ServiceDeploymentCircuitBreaker{Status: types.ServiceDeploymentRollbackMonitorsStatusDisabled}
	if dc != nil && dc.DeploymentCircuitBreaker != nil && dc.DeploymentCircuitBreaker.Enable {
		cb.Status = types.ServiceDeploymentRollbackMonitorsStatusMonitoring
		cb.Threshold = breakerThreshold(svc)
	}
	var dcCopy *types.DeploymentConfiguration
	if dc != nil {
		cp := *dc
		dcCopy = &cp
	}
	// Derived, not drawn: the account's random sequence (task placement,
	// ages) stays what it was before service deployments were modelled.
	id := fnvHex(aws.ToString(svc.Svc.ServiceArn)+"/"+sd.Target, 20)
	sd.SD = types.ServiceDeployment{
		ServiceDeploymentArn: aws.String(s.arn("ecs", "service-deployment/"+svc.Cluster+"/"+s.ecsSvcName(svc)+"/"+id)),
		ServiceArn:           svc.Svc.ServiceArn, ClusterArn: svc.Svc.ClusterArn,
		CreatedAt: aws.Time(now), StartedAt: aws.Time(now), UpdatedAt: aws.Time(now),
		Status: types.ServiceDeploymentStatusInProgress, DeploymentCircuitBreaker: cb, DeploymentConfiguration: dcCopy,
		TargetServiceRevision:  &types.ServiceRevisionSummary{Arn: aws.String(s.revisionArn(svc, sd.Target))},
		SourceServiceRevisions: []types.ServiceRevisionSummary{},
	}
	for _, src := range sd.Sources {
		sd.SD.SourceServiceRevisions = append(sd.SD.SourceServiceRevisions, types.ServiceRevisionSummary{Arn: aws.String(s.revisionArn(svc, src))})
	}
	if shifting(strategy) {
		if len(sd.Sources) == 0 {
			sd.Weight = 100 // a new service has nothing to shift from
		}
		sd.SD.LifecycleStage = types.ServiceDeploymentLifecycleStageScaleUp
	}
	svc.SvcDeployments = append(svc.SvcDeployments, sd)
	if len(svc.SvcDeployments) > 100 {
		svc.SvcDeployments = svc.SvcDeployments[len(svc.SvcDeployments)-100:]
	}
	s.sdNewRevision(svc, d)
}

// sdNewRevision records the service revision a deployment deploys: its task
// definition, images and load balancers (service-revision.html). A
// rollback creates none; it redeploys an earlier one.
func (s *Sim) sdNewRevision(svc *ecsService, d *types.Deployment) {
	rev := types.ServiceRevision{
		ServiceRevisionArn: aws.String(s.revisionArn(svc, aws.ToString(d.Id))), ServiceArn: svc.Svc.ServiceArn, ClusterArn: svc.Svc.ClusterArn,
		TaskDefinition: d.TaskDefinition, LaunchType: d.LaunchType, CreatedAt: d.CreatedAt,
		LoadBalancers: nonNilSlice(svc.Svc.LoadBalancers), ServiceRegistries: []types.ServiceRegistry{}, ContainerImages: []types.ContainerImage{},
	}
	if td := s.ecsLookupTaskDef(aws.ToString(d.TaskDefinition)); td != nil {
		for _, c := range td.TD.ContainerDefinitions {
			rev.ContainerImages = append(rev.ContainerImages, types.ContainerImage{ContainerName: c.Name, Image: c.Image})
		}
	}
	svc.SvcRevisions = append(svc.SvcRevisions, rev)
	if len(svc.SvcRevisions) > 100 {
		svc.SvcRevisions = svc.SvcRevisions[len(svc.SvcRevisions)-100:]
	}
}

func (s *Sim) ecsDescribeServiceRevisions(in *ecs.DescribeServiceRevisionsInput) (*ecs.DescribeServiceRevisionsOutput, error) {
	if err := ecsBatch("serviceRevisionArns", len(in.ServiceRevisionArns), 20); err != nil {
		return nil, err
	}
	out := &ecs.DescribeServiceRevisionsOutput{ServiceRevisions: []types.ServiceRevision{}, Failures: []types.Failure{}}
	for _, a := range in.ServiceRevisionArns {
		found := false
		if i := strings.Index(a, ":service-revision/"); i >= 0 {
			if parts := strings.Split(a[i+len(":service-revision/"):], "/"); len(parts) == 3 {
				if c := s.ecs.Clusters[parts[0]]; c != nil && c.Services[parts[1]] != nil {
					for _, r := range c.Services[parts[1]].SvcRevisions {
						if aws.ToString(r.ServiceRevisionArn) == a {
							out.ServiceRevisions = append(out.ServiceRevisions, r)
							found = true
						}
					}
				}
			}
		}
		if !found {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(a), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func breakerThreshold(svc *ecsService) int32 {
	t := int32(math.Ceil(float64(svc.Svc.DesiredCount) / 2))
	return max(3, min(200, t))
}

// sdEnd closes a service deployment.
func (s *Sim) sdEnd(_ *ecsService, sd *ecsSvcDeployment, status types.ServiceDeploymentStatus, reason string) {
	now := s.Now()
	sd.SD.Status = status
	sd.SD.UpdatedAt = aws.Time(now)
	sd.SD.FinishedAt = aws.Time(now)
	if reason != "" {
		sd.SD.StatusReason = aws.String(reason)
	}
	if status == types.ServiceDeploymentStatusStopped {
		sd.SD.StoppedAt = aws.Time(now)
	}
}

// sdOnCompleted: the deployment depID reached COMPLETED in DescribeServices.
func (s *Sim) sdOnCompleted(svc *ecsService, depID string) {
	sd := sdCurrent(svc)
	if sd == nil || !sdOngoing(sd) {
		return
	}
	switch {
	case sd.SD.Status == types.ServiceDeploymentStatusInProgress && sd.Target == depID:
		if shifting(sd.Strategy) && len(sd.Sources) > 0 && sd.SD.LifecycleStage != types.ServiceDeploymentLifecycleStageCleanUp {
			return // the lifecycle decides
		}
		s.sdEnd(svc, sd, types.ServiceDeploymentStatusSuccessful, "")
	case sd.SD.Status == types.ServiceDeploymentStatusRollbackInProgress && sd.RollbackTo == depID:
		s.sdEnd(svc, sd, types.ServiceDeploymentStatusRollbackSuccessful, "")
	}
}

// sdOnFailed: the circuit breaker failed the target deployment. It returns
// true when the service deployment handled the rollback itself (strategies
// roll back to the blue revision, which still runs).
func (s *Sim) sdOnFailed(svc *ecsService, depID string, failures int32, rollback bool) bool {
	sd := sdCurrent(svc)
	if sd == nil || sd.Target != depID || sd.SD.Status != types.ServiceDeploymentStatusInProgress {
		return false
	}
	if sd.SD.DeploymentCircuitBreaker != nil {
		sd.SD.DeploymentCircuitBreaker.FailureCount = failures
	}
	reason := "ECS deployment circuit breaker: tasks failed to start."
	if !rollback {
		s.sdEnd(svc, sd, types.ServiceDeploymentStatusStopped, reason)
		return false
	}
	if shifting(sd.Strategy) && len(sd.Sources) > 0 {
		s.sdRollbackToBlue(svc, sd, "Circuit breaker triggered a rollback: "+reason)
		return true
	}
	return false
}

// sdOnBreakerRollback: ECS started deployment rb to roll back the failed
// target of the current service deployment.
func (s *Sim) sdOnBreakerRollback(svc *ecsService, failedID string, rb *types.Deployment) {
	sd := sdCurrent(svc)
	if sd == nil || sd.Target != failedID {
		return
	}
	s.sdStartRollback(svc, sd, aws.ToString(rb.Id), "Circuit breaker triggered a rollback: ECS deployment circuit breaker: tasks failed to start.")
}

func (s *Sim) sdStartRollback(svc *ecsService, sd *ecsSvcDeployment, to, reason string) {
	now := s.Now()
	sd.RollbackTo = to
	sd.SD.Status = types.ServiceDeploymentStatusRollbackInProgress
	sd.SD.StatusReason = aws.String(reason)
	sd.SD.UpdatedAt = aws.Time(now)
	// ECS rolls back to an existing revision: the one that ran before.
	rev := s.revisionArn(svc, to)
	if len(sd.SD.SourceServiceRevisions) > 0 {
		rev = aws.ToString(sd.SD.SourceServiceRevisions[0].Arn)
	}
	sd.SD.Rollback = &types.Rollback{Reason: aws.String(reason), StartedAt: aws.Time(now), ServiceRevisionArn: aws.String(rev)}
}

// sdRollbackToBlue rolls a strategy deployment back: production traffic
// returns to the blue revision, which becomes PRIMARY again, and the green
// one is scaled in.
func (s *Sim) sdRollbackToBlue(svc *ecsService, sd *ecsSvcDeployment, reason string) {
	blue := -1
	for i := range svc.Svc.Deployments {
		if len(sd.Sources) > 0 && aws.ToString(svc.Svc.Deployments[i].Id) == sd.Sources[0] {
			blue = i
		}
	}
	now := s.Now()
	if blue < 0 {
		// Blue has no tasks left (should not happen before CLEAN_UP):
		// redeploy its task definition.
		nd := s.ecsNewDeploymentRaw(svc, sd.SourceTaskDefs[0])
		s.sdStartRollback(svc, sd, aws.ToString(nd.Id), reason)
		sd.Weight = 0
		return
	}
	for i := range svc.Svc.Deployments {
		d := &svc.Svc.Deployments[i]
		if aws.ToString(d.Id) == sd.Target {
			d.Status = aws.String("ACTIVE")
			if d.RolloutState == types.DeploymentRolloutStateInProgress {
				d.RolloutState = types.DeploymentRolloutStateFailed
				d.RolloutStateReason = aws.String(reason)
			}
			d.UpdatedAt = aws.Time(now)
		}
	}
	b := svc.Svc.Deployments[blue]
	b.Status = aws.String("PRIMARY")
	b.RolloutState = types.DeploymentRolloutStateInProgress
	b.RolloutStateReason = aws.String("ECS deployment " + aws.ToString(b.Id) + " in progress.")
	b.UpdatedAt = aws.Time(now)
	rest := []types.Deployment{b}
	for i, d := range svc.Svc.Deployments {
		if i != blue {
			rest = append(rest, d)
		}
	}
	svc.Svc.Deployments = rest
	svc.Svc.TaskDefinition = b.TaskDefinition
	svc.Steady = false
	sd.Weight = 0
	s.sdStartRollback(svc, sd, aws.ToString(b.Id), reason)
	s.ecsEvent(svc, "(service "+s.ecsSvcName(svc)+") rolling back to deployment "+aws.ToString(b.Id)+".")
	s.rec.timeline(now, "deployment-rolled-back", svc.Cluster+"/"+s.ecsSvcName(svc)+": "+sd.Target+" rolled back to "+lastPart(aws.ToString(b.TaskDefinition))+" ("+aws.ToString(b.Id)+")")
	s.ecsKickService(svc)
}

// sdAdvance moves a strategy deployment through its lifecycle stages; the
// scheduler calls it after every run (via ecsSettle) and stage timers.
func (s *Sim) sdAdvance(svc *ecsService) {
	sd := sdCurrent(svc)
	if sd == nil || !shifting(sd.Strategy) || sd.SD.Status != types.ServiceDeploymentStatusInProgress || len(sd.Sources) == 0 {
		return
	}
	now := s.Now()
	if now.Before(sd.StageEnds) {
		return
	}
	step := s.Timings.SchedulerInterval.D()
	dc := svc.Svc.DeploymentConfiguration
	next := func(stage types.ServiceDeploymentLifecycleStage, d time.Duration) {
		sd.SD.LifecycleStage = stage
		sd.SD.UpdatedAt = aws.Time(now)
		sd.StageEnds = now.Add(d)
		s.schedule(sd.StageEnds, evSDStage, aws.ToString(svc.Svc.ServiceArn))
	}
	switch sd.SD.LifecycleStage {
	case types.ServiceDeploymentLifecycleStageScaleUp:
		if !s.sdGreenReady(svc, sd) {
			return
		}
		next(types.ServiceDeploymentLifecycleStagePostScaleUp, step)
	case types.ServiceDeploymentLifecycleStagePostScaleUp:
		next(types.ServiceDeploymentLifecycleStageTestTrafficShift, step)
	case types.ServiceDeploymentLifecycleStageTestTrafficShift:
		next(types.ServiceDeploymentLifecycleStagePostTestTrafficShift, step)
	case types.ServiceDeploymentLifecycleStagePostTestTrafficShift:
		sd.Weight, sd.StageEnds = 0, time.Time{}
		s.sdShift(svc, sd, dc, next)
	case types.ServiceDeploymentLifecycleStageProductionTrafficShift:
		if sd.Weight < 100 {
			s.sdShift(svc, sd, dc, next)
			return
		}
		next(types.ServiceDeploymentLifecycleStagePostProductionTrafficShift, step)
	case types.ServiceDeploymentLifecycleStagePostProductionTrafficShift:
		bake := time.Duration(0)
		if dc != nil && dc.BakeTimeInMinutes != nil {
			bake = time.Duration(*dc.BakeTimeInMinutes) * time.Minute
		}
		next(types.ServiceDeploymentLifecycleStageBakeTime, bake)
	case types.ServiceDeploymentLifecycleStageBakeTime:
		sd.SD.LifecycleStage = types.ServiceDeploymentLifecycleStageCleanUp
		sd.SD.UpdatedAt = aws.Time(now)
		s.ecsEvent(svc, "(service "+s.ecsSvcName(svc)+") bake time is over; scaling in the previous service revision")
		s.ecsKickService(svc)
	}
}

// sdShift takes the next production traffic step of the strategy.
func (s *Sim) sdShift(svc *ecsService, sd *ecsSvcDeployment, dc *types.DeploymentConfiguration, next func(types.ServiceDeploymentLifecycleStage, time.Duration)) {
	step := s.Timings.SchedulerInterval.D()
	switch sd.Strategy {
	case string(types.DeploymentStrategyCanary):
		pct, bake := 5.0, 10 // the API's defaults
		if dc != nil && dc.CanaryConfiguration != nil {
			if dc.CanaryConfiguration.CanaryPercent != nil {
				pct = *dc.CanaryConfiguration.CanaryPercent
			}
			if dc.CanaryConfiguration.CanaryBakeTimeInMinutes != nil {
				bake = int(*dc.CanaryConfiguration.CanaryBakeTimeInMinutes)
			}
		}
		if sd.Weight == 0 {
			sd.Weight = pct
			next(types.ServiceDeploymentLifecycleStageProductionTrafficShift, time.Duration(bake)*time.Minute)
			return
		}
		sd.Weight = 100
	case string(types.DeploymentStrategyLinear):
		pct, bake := 10.0, 6
		if dc != nil && dc.LinearConfiguration != nil {
			if dc.LinearConfiguration.StepPercent != nil {
				pct = *dc.LinearConfiguration.StepPercent
			}
			if dc.LinearConfiguration.StepBakeTimeInMinutes != nil {
				bake = int(*dc.LinearConfiguration.StepBakeTimeInMinutes)
			}
		}
		sd.Weight = math.Min(100, sd.Weight+pct)
		if sd.Weight < 100 {
			next(types.ServiceDeploymentLifecycleStageProductionTrafficShift, time.Duration(bake)*time.Minute)
			return
		}
	default:
		sd.Weight = 100
	}
	next(types.ServiceDeploymentLifecycleStageProductionTrafficShift, step)
}

// sdGreenReady: the target revision has its full desired count healthy.
func (s *Sim) sdGreenReady(svc *ecsService, sd *ecsSvcDeployment) bool {
	healthy := 0
	for _, t := range s.ecsServiceTasks(svc) {
		if t.Deployment == sd.Target && s.ecsTaskHealthy(t) {
			healthy++
		}
	}
	return healthy >= int(svc.Svc.DesiredCount)
}

// ---- API ----

func (s *Sim) ecsListServiceDeployments(in *ecs.ListServiceDeploymentsInput) (*ecs.ListServiceDeploymentsOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.Service == nil {
		return nil, apiErr("InvalidParameterException", "Service cannot be empty.")
	}
	svc, err := s.ecsGetService(c, aws.ToString(in.Service))
	if err != nil {
		return nil, err
	}
	var arns []string
	byArn := map[string]*ecsSvcDeployment{}
	for i := len(svc.SvcDeployments) - 1; i >= 0; i-- { // newest first
		sd := svc.SvcDeployments[i]
		if len(in.Status) > 0 && !hasField(in.Status, string(sd.SD.Status)) {
			continue
		}
		if ca := in.CreatedAt; ca != nil {
			at := aws.ToTime(sd.SD.CreatedAt)
			if (ca.Before != nil && !at.Before(*ca.Before)) || (ca.After != nil && !at.After(*ca.After)) {
				continue
			}
		}
		a := aws.ToString(sd.SD.ServiceDeploymentArn)
		arns = append(arns, a)
		byArn[a] = sd
	}
	page, next, err := s.ecsPageN(arns, in.NextToken, in.MaxResults, 100, 20)
	if err != nil {
		return nil, err
	}
	out := &ecs.ListServiceDeploymentsOutput{ServiceDeployments: []types.ServiceDeploymentBrief{}, NextToken: next}
	for _, a := range page {
		sd := byArn[a].SD
		out.ServiceDeployments = append(out.ServiceDeployments, types.ServiceDeploymentBrief{
			ServiceDeploymentArn: sd.ServiceDeploymentArn, ServiceArn: sd.ServiceArn, ClusterArn: sd.ClusterArn,
			CreatedAt: sd.CreatedAt, StartedAt: sd.StartedAt, FinishedAt: sd.FinishedAt, Status: sd.Status,
			StatusReason: sd.StatusReason, TargetServiceRevisionArn: sd.TargetServiceRevision.Arn,
		})
	}
	return out, nil
}

// sdByArn finds a service deployment by its ARN
// (service-deployment/<cluster>/<service>/<id>).
func (s *Sim) sdByArn(arn string) (*ecsService, *ecsSvcDeployment) {
	i := strings.Index(arn, ":service-deployment/")
	if i < 0 {
		return nil, nil
	}
	parts := strings.Split(arn[i+len(":service-deployment/"):], "/")
	if len(parts) != 3 {
		return nil, nil
	}
	c := s.ecs.Clusters[parts[0]]
	if c == nil || c.Services[parts[1]] == nil {
		return nil, nil
	}
	svc := c.Services[parts[1]]
	for _, sd := range svc.SvcDeployments {
		if aws.ToString(sd.SD.ServiceDeploymentArn) == arn {
			return svc, sd
		}
	}
	return svc, nil
}

func (s *Sim) ecsDescribeServiceDeployments(in *ecs.DescribeServiceDeploymentsInput) (*ecs.DescribeServiceDeploymentsOutput, error) {
	if err := ecsBatch("serviceDeploymentArns", len(in.ServiceDeploymentArns), 20); err != nil {
		return nil, err
	}
	out := &ecs.DescribeServiceDeploymentsOutput{ServiceDeployments: []types.ServiceDeployment{}, Failures: []types.Failure{}}
	for _, a := range in.ServiceDeploymentArns {
		svc, sd := s.sdByArn(a)
		if sd == nil {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(a), Reason: aws.String("MISSING")})
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, s.sdView(svc, sd))
	}
	return out, nil
}

// sdView is the API shape with fresh task counts and traffic weights.
func (s *Sim) sdView(svc *ecsService, sd *ecsSvcDeployment) types.ServiceDeployment {
	s.ecsCount(svc)
	v := sd.SD
	counts := map[string]types.Deployment{}
	for _, d := range svc.Svc.Deployments {
		counts[aws.ToString(d.Id)] = d
	}
	tgt := *sd.SD.TargetServiceRevision
	if d, ok := counts[sd.Target]; ok && sdOngoing(sd) {
		tgt.RunningTaskCount, tgt.PendingTaskCount, tgt.RequestedTaskCount = d.RunningCount, d.PendingCount, d.DesiredCount
	}
	if shifting(sd.Strategy) {
		tgt.RequestedProductionTrafficWeight = aws.Float64(sd.Weight)
		test := 0.0
		if sd.SD.LifecycleStage != types.ServiceDeploymentLifecycleStageScaleUp && sd.SD.LifecycleStage != types.ServiceDeploymentLifecycleStagePostScaleUp {
			test = 100
		}
		tgt.RequestedTestTrafficWeight = aws.Float64(test)
	}
	v.TargetServiceRevision = &tgt
	v.SourceServiceRevisions = []types.ServiceRevisionSummary{}
	for i, src := range sd.SD.SourceServiceRevisions {
		r := src
		if d, ok := counts[sd.Sources[i]]; ok && sdOngoing(sd) {
			r.RunningTaskCount, r.PendingTaskCount, r.RequestedTaskCount = d.RunningCount, d.PendingCount, d.DesiredCount
		}
		if shifting(sd.Strategy) && i == 0 {
			r.RequestedProductionTrafficWeight = aws.Float64(100 - sd.Weight)
		}
		v.SourceServiceRevisions = append(v.SourceServiceRevisions, r)
	}
	if cb := sd.SD.DeploymentCircuitBreaker; cb != nil {
		c := *cb
		v.DeploymentCircuitBreaker = &c
	}
	if rb := sd.SD.Rollback; rb != nil {
		r := *rb
		v.Rollback = &r
	}
	return v
}

// ecsStopServiceDeployment stops an ongoing service deployment. ROLLBACK
// returns the service to its previous revision whether or not the
// deployment had the rollback option (StopServiceDeployment API reference);
// ABORT stops where it is (STOPPED).
func (s *Sim) ecsStopServiceDeployment(in *ecs.StopServiceDeploymentInput) (*ecs.StopServiceDeploymentOutput, error) {
	arn := aws.ToString(in.ServiceDeploymentArn)
	svc, sd := s.sdByArn(arn)
	if sd == nil {
		return nil, apiErr("ServiceDeploymentNotFoundException", "The service deployment %s does not exist.", arn)
	}
	switch in.StopType {
	case "", types.StopServiceDeploymentStopTypeRollback, types.StopServiceDeploymentStopTypeAbort:
	default:
		return nil, apiErr("InvalidParameterException", "Invalid stopType %q: valid values are ROLLBACK and ABORT.", in.StopType)
	}
	if sd.SD.Status != types.ServiceDeploymentStatusInProgress && sd.SD.Status != types.ServiceDeploymentStatusPending {
		return nil, apiErr("ConflictException", "The service deployment %s is %s and can no longer be stopped.", arn, sd.SD.Status)
	}
	reason := "Service deployment rolled back because of a stop request."
	if in.StopType == types.StopServiceDeploymentStopTypeAbort {
		s.sdEnd(svc, sd, types.ServiceDeploymentStatusStopped, "Service deployment stopped because of a stop request.")
		s.ecsKickService(svc)
		return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: aws.String(arn)}, nil
	}
	if shifting(sd.Strategy) && len(sd.Sources) > 0 && sd.SD.LifecycleStage != types.ServiceDeploymentLifecycleStageCleanUp {
		s.sdRollbackToBlue(svc, sd, reason)
		return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: aws.String(arn)}, nil
	}
	to := svc.LastCompletedTaskDef
	if len(sd.SourceTaskDefs) > 0 {
		to = sd.SourceTaskDefs[0]
	}
	if to == "" {
		return nil, apiErr("ConflictException", "The service deployment %s has no previous service revision to roll back to.", arn)
	}
	for i := range svc.Svc.Deployments {
		d := &svc.Svc.Deployments[i]
		if aws.ToString(d.Id) == sd.Target && d.RolloutState == types.DeploymentRolloutStateInProgress {
			d.RolloutState = types.DeploymentRolloutStateFailed
			d.RolloutStateReason = aws.String(reason)
		}
	}
	nd := s.ecsNewDeploymentRaw(svc, to)
	s.sdStartRollback(svc, sd, aws.ToString(nd.Id), reason)
	s.ecsEvent(svc, "(service "+s.ecsSvcName(svc)+") rolling back to deployment "+aws.ToString(nd.Id)+".")
	return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: aws.String(arn)}, nil
}

// ---- task sets (CODE_DEPLOY and EXTERNAL controllers) ----

// ecsTaskSets shows a service of another controller as its task sets: the
// sandbox runs the tasks of the PRIMARY task set through its scheduler.
func (s *Sim) ecsTaskSets(svc *ecsService) []types.TaskSet {
	sets := []types.TaskSet{}
	for i, d := range svc.Svc.Deployments {
		id := "ecs-svc/" + strings.TrimPrefix(aws.ToString(d.Id), "ecs-svc/")
		status := "ACTIVE"
		if i == 0 {
			status = "PRIMARY"
		}
		stab := types.StabilityStatusSteadyState
		if d.RunningCount != d.DesiredCount || d.PendingCount > 0 {
			stab = types.StabilityStatusStabilizing
		}
		ts := types.TaskSet{
			Id: aws.String(id), TaskSetArn: aws.String(s.arn("ecs", "task-set/"+svc.Cluster+"/"+s.ecsSvcName(svc)+"/"+id)),
			ServiceArn: svc.Svc.ServiceArn, ClusterArn: svc.Svc.ClusterArn, Status: aws.String(status),
			TaskDefinition: d.TaskDefinition, ComputedDesiredCount: d.DesiredCount, RunningCount: d.RunningCount, PendingCount: d.PendingCount,
			CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, LaunchType: types.LaunchTypeEc2, LoadBalancers: nonNilSlice(svc.Svc.LoadBalancers),
			ServiceRegistries: []types.ServiceRegistry{}, Scale: &types.Scale{Value: 100, Unit: types.ScaleUnitPercent},
			StabilityStatus: stab, StabilityStatusAt: d.UpdatedAt,
		}
		if svc.Svc.DeploymentController.Type == types.DeploymentControllerTypeCodeDeploy {
			// CodeDeploy creates the task sets and names its deployment.
			ts.StartedBy = aws.String("CodeDeploy")
			ts.ExternalId = aws.String("d-" + strings.ToUpper(fnvHex(id, 9)))
		}
		sets = append(sets, ts)
	}
	return sets
}

func (s *Sim) ecsDescribeTaskSets(in *ecs.DescribeTaskSetsInput) (*ecs.DescribeTaskSetsOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	svc, err := s.ecsGetService(c, aws.ToString(in.Service))
	if err != nil {
		return nil, err
	}
	if sdStrategy(svc) != "-" {
		// Wording not confirmed against AWS; the error code is what callers match.
		return nil, apiErr("InvalidParameterException", "Amazon ECS only supports task set management on services configured to use external deployment controllers.")
	}
	s.ecsCount(svc)
	out := &ecs.DescribeTaskSetsOutput{TaskSets: []types.TaskSet{}, Failures: []types.Failure{}}
	all := s.ecsTaskSets(svc)
	if len(in.TaskSets) == 0 {
		out.TaskSets = all
		return out, nil
	}
	for _, want := range in.TaskSets {
		found := false
		for _, ts := range all {
			if aws.ToString(ts.TaskSetArn) == want || aws.ToString(ts.Id) == want {
				out.TaskSets = append(out.TaskSets, ts)
				found = true
			}
		}
		if !found {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(want), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

// ecsControllerUpdateErr is what UpdateService answers when asked to change
// the task definition of a service of another controller. CODE_DEPLOY's
// wording is AWS's (as quoted in aws-cdk#23564 and fabfuel/ecs-deploy#175);
// EXTERNAL's follows it.
func ecsControllerUpdateErr(svc *ecsService) error {
	switch svc.Svc.DeploymentController.Type {
	case types.DeploymentControllerTypeCodeDeploy:
		return apiErr("InvalidParameterException", "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
	case types.DeploymentControllerTypeExternal:
		return apiErr("InvalidParameterException", "Unable to update task definition on services with a EXTERNAL deployment controller. Use CreateTaskSet to deploy a new task definition.")
	}
	return nil
}

// ecsApplyStrategyConfig copies the strategy fields of a CreateService or
// UpdateService deploymentConfiguration.
func ecsApplyStrategyConfig(dc, u *types.DeploymentConfiguration) {
	if u == nil {
		return
	}
	if u.Strategy != "" {
		dc.Strategy = u.Strategy
	}
	if u.BakeTimeInMinutes != nil {
		dc.BakeTimeInMinutes = u.BakeTimeInMinutes
	}
	if u.CanaryConfiguration != nil {
		c := *u.CanaryConfiguration
		dc.CanaryConfiguration = &c
	}
	if u.LinearConfiguration != nil {
		l := *u.LinearConfiguration
		dc.LinearConfiguration = &l
	}
}

// validateStrategyConfig checks the strategy fields as the API does.
func validateStrategyConfig(u *types.DeploymentConfiguration, lbs []types.LoadBalancer) error {
	if u == nil {
		return nil
	}
	switch u.Strategy {
	case "", types.DeploymentStrategyRolling:
		return nil
	case types.DeploymentStrategyBlueGreen, types.DeploymentStrategyLinear, types.DeploymentStrategyCanary:
	default:
		return apiErr("InvalidParameterException", "Invalid deployment strategy %q.", u.Strategy)
	}
	if b := u.BakeTimeInMinutes; b != nil && (*b < 0 || *b > 1440) {
		return apiErr("InvalidParameterException", "bakeTimeInMinutes must be between 0 and 1440.")
	}
	if c := u.CanaryConfiguration; c != nil && c.CanaryPercent != nil && (*c.CanaryPercent < 0.1 || *c.CanaryPercent > 100) {
		return apiErr("InvalidParameterException", "canaryPercent must be between 0.1 and 100.0.")
	}
	if l := u.LinearConfiguration; l != nil && l.StepPercent != nil && (*l.StepPercent < 3 || *l.StepPercent > 100) {
		return apiErr("InvalidParameterException", "stepPercent must be between 3.0 and 100.0.")
	}
	return nil
}

// sdBackdate moves a world-loaded service's deployment records to the time
// its first deployment is said to have run.
func (s *Sim) sdBackdate(svc *ecsService, created, done time.Time) {
	for _, sd := range svc.SvcDeployments {
		sd.SD.CreatedAt, sd.SD.StartedAt, sd.SD.UpdatedAt = aws.Time(created), aws.Time(created), aws.Time(done)
		if sd.SD.FinishedAt != nil {
			sd.SD.FinishedAt = aws.Time(done)
		}
	}
	for i := range svc.SvcRevisions {
		svc.SvcRevisions[i].CreatedAt = aws.Time(created)
	}
}

// ecsLoadControllerSpec applies a world service's controller and strategy to
// its CreateService input. A traffic-shifting strategy gets what the API
// requires of it (deployment-type-blue-green.html): an alternate target
// group, the production and test listener rules, and a role ECS uses to
// change them, in the load balancer's advancedConfiguration.
func (s *Sim) ecsLoadControllerSpec(c *ecsCluster, ss ServiceSpec, in *ecs.CreateServiceInput) error {
	switch ss.DeploymentController {
	case "", "ECS":
	case "CODE_DEPLOY", "EXTERNAL":
		if ss.Strategy != "" {
			return fmt.Errorf("strategy %s needs the ECS deployment controller, not %s", ss.Strategy, ss.DeploymentController)
		}
		in.DeploymentController = &types.DeploymentController{Type: types.DeploymentControllerType(ss.DeploymentController)}
		return nil
	default:
		return fmt.Errorf("deploymentController %q: want ECS, CODE_DEPLOY or EXTERNAL", ss.DeploymentController)
	}
	dc := in.DeploymentConfiguration
	switch ss.Strategy {
	case "", "ROLLING":
		return nil
	case "BLUE_GREEN", "LINEAR", "CANARY":
	default:
		return fmt.Errorf("strategy %q: want ROLLING, BLUE_GREEN, LINEAR or CANARY", ss.Strategy)
	}
	if len(in.LoadBalancers) == 0 {
		return fmt.Errorf("strategy %s shifts traffic between target groups: set loadBalanced", ss.Strategy)
	}
	dc.Strategy = types.DeploymentStrategy(ss.Strategy)
	if ss.BakeTimeMinutes != nil {
		dc.BakeTimeInMinutes = aws.Int32(int32(*ss.BakeTimeMinutes))
	}
	if cs := ss.Canary; cs != nil {
		dc.CanaryConfiguration = &types.CanaryConfiguration{CanaryPercent: aws.Float64(cs.Percent), CanaryBakeTimeInMinutes: aws.Int32(int32(cs.BakeMinutes))}
	}
	if ls := ss.Linear; ls != nil {
		dc.LinearConfiguration = &types.LinearConfiguration{StepPercent: aws.Float64(ls.StepPercent), StepBakeTimeInMinutes: aws.Int32(int32(ls.StepBakeMinutes))}
	}
	lb := &in.LoadBalancers[0]
	prod := s.elb.TargetGroups[aws.ToString(lb.TargetGroupArn)]
	alt := s.elbNewTargetGroup(c.Name, c.Name+"-"+ss.Name+"-alt", aws.ToInt32(prod.TG.Port), prod.TG.TargetType)
	lbArn := s.elb.LoadBalancers[c.Name]
	_, lbPath, _ := strings.Cut(lbArn, ":loadbalancer/")
	listener := s.arn("elasticloadbalancing", "listener-rule/"+lbPath+"/"+fnvHex(ss.Name+"/listener", 16))
	lb.AdvancedConfiguration = &types.AdvancedConfiguration{
		AlternateTargetGroupArn: alt.TG.TargetGroupArn,
		ProductionListenerRule:  aws.String(listener + "/" + fnvHex(ss.Name+"/prod", 16)),
		TestListenerRule:        aws.String(listener + "/" + fnvHex(ss.Name+"/test", 16)),
		RoleArn:                 aws.String("arn:aws:iam::" + s.AccountID + ":role/ecsInfrastructureRoleForLoadBalancers"),
	}
	return validateStrategyConfig(dc, in.LoadBalancers)
}
