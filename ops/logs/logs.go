package logs

import (
	"context"
	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go/middleware"
)

// ECS is the part of the ECS API `ecsctl logs` uses to turn a service
// or task ids into log streams.
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// API is the part of CloudWatch Logs `ecsctl logs` reads with.
type API interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	DescribeLogStreams(ctx context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
}

// Request is what `ecsctl logs` asks for.
type Request struct {
	Cluster string
	// Service, or Tasks (ids or ARNs): whose logs.
	Service string
	Tasks   []string
	// Containers limits the output to these containers (empty: all).
	Containers []string
	Follow     bool
	// Previous shows the service's recently stopped tasks instead of the
	// running ones.
	Previous bool
	// Since and Until bound the event timestamps (zero: see Tailer.Tail).
	Since, Until time.Time
	// Filter is a CloudWatch Logs filter pattern, applied by AWS.
	Filter string
	// Grep keeps, GrepV drops, the messages that match (applied here).
	Grep, GrepV *regexp.Regexp
}

// ValidateRequest checks a request before any AWS call.
func ValidateRequest(ctx context.Context, r Request) error {
	svc, task := ops.Opt(ctx, "Service"), ops.Opt(ctx, "Task")
	switch {
	case strings.TrimSpace(r.Cluster) == "":
		return ops.Inputf("missing %s: name the cluster with %s or ECSCTL_CLUSTER", ops.Opt(ctx, "Cluster"), ops.Opt(ctx, "Cluster"))
	case r.Service == "" && len(r.Tasks) == 0:
		return ops.Inputf("say whose logs: %s NAME, or %s ID (repeat for several)", svc, task)
	case r.Service != "" && len(r.Tasks) > 0:
		return ops.Inputf("%s and %s cannot be combined: give one or the other", svc, task)
	case r.Previous && r.Service == "":
		return ops.Inputf("%s shows a service's stopped tasks: use it with %s (a %s that stopped is shown anyway)", ops.Opt(ctx, "Previous"), svc, task)
	case r.Previous && r.Follow:
		return ops.Inputf("%s shows stopped tasks, which write nothing more: drop %s", ops.Opt(ctx, "Previous"), ops.Opt(ctx, "Follow"))
	case !r.Since.IsZero() && !r.Until.IsZero() && !r.Until.After(r.Since):
		return ops.Inputf("%s %s is not after %s %s: give a later %s", ops.Opt(ctx, "Until"), r.Until.UTC().Format(time.RFC3339), ops.Opt(ctx, "Since"), r.Since.UTC().Format(time.RFC3339), ops.Opt(ctx, "Until"))
	}
	for _, t := range r.Tasks {
		if strings.TrimSpace(t) == "" {
			return ops.Inputf("empty %s: give a task id or ARN", task)
		}
	}
	for _, c := range r.Containers {
		if strings.TrimSpace(c) == "" {
			return ops.Inputf("empty %s: give a container name", ops.Opt(ctx, "Container"))
		}
	}
	return nil
}

// Line is one log event of one task's container.
type Line struct {
	Time      time.Time
	Ingested  time.Time
	ID        string
	Region    string
	Group     string
	Stream    string
	Task      string // task id
	Container string
	Message   string
}

// logsTask is one ECS task whose streams are read.
type logsTask struct {
	id, arn   string
	taskDef   string // family:revision
	createdAt time.Time
	stoppedAt time.Time
	status    string // last status
	reason    string // stopped reason
	// stopping: no longer in the service's RUNNING list, not STOPPED yet.
	stopping bool
}

// logsGroupKey is one log group in one region.
type logsGroupKey struct{ region, group string }

// logsStream is one stream being read.
type logsStream struct {
	key       logsGroupKey
	name      string
	task      *logsTask
	container string
	// from (ms) is where this stream must be read from until a query has
	// covered it; 0 once covered.
	from int64
	// missing: FilterLogEvents said it does not exist (yet); probed with
	// DescribeLogStreams until it does.
	missing bool
	// leaveAfter (server ms): drop the stream once everything ingested up to
	// this time has been read (its task stopped). 0 while it runs.
	leaveAfter int64
}

// logsResolver turns tasks into streams, caching task definitions.
type logsResolver struct {
	ecs        ECS
	region     string
	containers map[string]bool
	defs       map[string]*types.TaskDefinition
	// skippedNoted: (task definition, container) already reported.
	skippedNoted map[string]bool
	// seenContainers: container names of every resolved task definition.
	seenContainers map[string]bool
	skipped        []string
}

func newLogsResolver(e ECS, region string, containers []string) *logsResolver {
	r := &logsResolver{ecs: e, region: region, defs: map[string]*types.TaskDefinition{},
		skippedNoted: map[string]bool{}, seenContainers: map[string]bool{}}
	if len(containers) > 0 {
		r.containers = map[string]bool{}
		for _, c := range containers {
			r.containers[strings.TrimSpace(c)] = true
		}
	}
	return r
}

// taskDef returns a task definition by ARN (cached: revisions are immutable).
func (r *logsResolver) taskDef(ctx context.Context, arn string) (*types.TaskDefinition, error) {
	if td := r.defs[arn]; td != nil {
		return td, nil
	}
	out, err := r.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", ops.ShortTaskDef(arn), err)
	}
	r.defs[arn] = out.TaskDefinition
	return out.TaskDefinition, nil
}

// streams maps a task to its containers' awslogs streams
// (<prefix>/<container>/<task-id>); containers it cannot map are reported
// through note once per task definition.
func (r *logsResolver) streams(ctx context.Context, t types.Task, note func(ops.Event)) (*logsTask, []*logsStream, error) {
	arn := aws.ToString(t.TaskArn)
	lt := &logsTask{id: fmtx.ShortARN(arn), arn: arn, status: aws.ToString(t.LastStatus),
		reason: aws.ToString(t.StoppedReason), taskDef: ops.ShortTaskDef(aws.ToString(t.TaskDefinitionArn))}
	lt.createdAt = taskStartBound(t)
	lt.stoppedAt = aws.ToTime(t.StoppedAt)
	td, err := r.taskDef(ctx, aws.ToString(t.TaskDefinitionArn))
	if err != nil {
		return nil, nil, err
	}
	var out []*logsStream
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		r.seenContainers[name] = true
		if r.containers != nil && !r.containers[name] {
			continue
		}
		skip := func(why string) {
			k := lt.taskDef + "/" + name
			if r.skippedNoted[k] {
				return
			}
			r.skippedNoted[k] = true
			msg := fmt.Sprintf("container %s of %s %s: its logs are not shown", name, lt.taskDef, why)
			r.skipped = append(r.skipped, msg)
			note(ops.Event{Kind: ops.EventSkipped, Message: msg})
		}
		lc := c.LogConfiguration
		if lc == nil {
			skip("has no log configuration (logs stay on the instance's Docker daemon)")
			continue
		}
		if lc.LogDriver != types.LogDriverAwslogs {
			skip(fmt.Sprintf("uses the %s log driver, not awslogs, so its logs are not in CloudWatch Logs streams ecsctl can name", lc.LogDriver))
			continue
		}
		group := lc.Options["awslogs-group"]
		prefix := lc.Options["awslogs-stream-prefix"]
		region := lc.Options["awslogs-region"]
		if region == "" {
			region = r.region
		}
		if group == "" {
			skip("uses awslogs without awslogs-group")
			continue
		}
		if prefix == "" {
			skip("uses awslogs without awslogs-stream-prefix, so its stream is named after the Docker container id, not the task")
			continue
		}
		out = append(out, &logsStream{key: logsGroupKey{region: region, group: group},
			name: prefix + "/" + name + "/" + lt.id, task: lt, container: name})
	}
	return lt, out, nil
}

// taskStartBound is the earliest time a task's logs can start: its
// createdAt, else the earliest of the timestamps ECS sets on the way to
// RUNNING (all of them come before its containers log anything). Zero when
// the task carries none of them (an implementation may leave them out).
func taskStartBound(t types.Task) time.Time {
	var at time.Time
	for _, ts := range []*time.Time{t.CreatedAt, t.ConnectivityAt, t.PullStartedAt, t.PullStoppedAt, t.StartedAt} {
		if ts != nil && !ts.IsZero() && ts.Unix() > 0 && (at.IsZero() || ts.Before(at)) {
			at = *ts
		}
	}
	return at
}

// checkContainers rejects --container names that no resolved task
// definition has.
func (r *logsResolver) checkContainers(ctx context.Context) error {
	if r.containers == nil || len(r.seenContainers) == 0 {
		return nil
	}
	var unknown []string
	for c := range r.containers {
		if !r.seenContainers[c] {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	var have []string
	for c := range r.seenContainers {
		have = append(have, c)
	}
	sort.Strings(have)
	return ops.Inputf("no container %s in the task definitions: use %s with one of %s", strings.Join(unknown, ", "), ops.Opt(ctx, "Container"), strings.Join(have, ", "))
}

// describeLogsTasks describes tasks 100 at a time. Missing ones are
// returned by id in missing.
func describeLogsTasks(ctx context.Context, e ECS, cluster string, ids []string, observe ...func(middleware.Metadata)) (tasks []types.Task, missing []string, err error) {
	for i := 0; i < len(ids); i += 100 {
		chunk := ids[i:min(i+100, len(ids))]
		out, err := e.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: chunk})
		if err != nil {
			if awsapi.ErrorCode(err) == "ClusterNotFoundException" {
				return nil, nil, ops.NotFound(ctx, "cluster", cluster)
			}
			return nil, nil, fmt.Errorf("describe tasks in %s: %w", cluster, err)
		}
		for _, o := range observe {
			o(out.ResultMetadata)
		}
		tasks = append(tasks, out.Tasks...)
		for _, f := range out.Failures {
			a := aws.ToString(f.Arn)
			missing = append(missing, fmtx.ShortARN(a))
		}
	}
	return tasks, missing, nil
}

// checkService makes sure the service exists (exit 3 when not).
func checkService(ctx context.Context, e ECS, cluster, service string) error {
	out, err := e.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		if awsapi.ErrorCode(err) == "ClusterNotFoundException" {
			return ops.NotFound(ctx, "cluster", cluster)
		}
		return fmt.Errorf("describe service %s/%s: %w", cluster, service, err)
	}
	for _, s := range out.Services {
		if aws.ToString(s.Status) != "INACTIVE" {
			return nil
		}
	}
	return ops.NotFound(ctx, "service", cluster+"/"+service)
}
