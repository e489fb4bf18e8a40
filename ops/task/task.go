// Package task runs one-off ECS tasks (`ecsctl run`): it forms a RunTask
// request from a service's current deployment or a task definition and
// overrides, starts it, and follows it to STOPPED with its logs (through
// logs.Tailer), reporting the containers' exit codes.
//
// The start step takes a fully formed ecs.RunTaskInput, so that anything
// that already has one (a schedule's EcsParameters) runs through the same
// path: Start(ctx, api, in), then Follower.Follow with the task it returns
// and MainContainer of its task definition.
package task

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/ops/logs"
)

// StartedBy marks the tasks ecsctl run starts (RunTaskInput.StartedBy: up
// to 128 letters, numbers, hyphens, forward slashes and underscores), so
// that they can be listed with ListTasks --started-by ecsctl-run.
const StartedBy = "ecsctl-run"

// ECS is the part of the ECS API a one-off task needs: what logs.Tailer
// reads with, and RunTask and StopTask.
type ECS interface {
	logs.ECS
	RunTask(ctx context.Context, in *ecs.RunTaskInput, optFns ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, optFns ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// Env is one environment override: KEY=VALUE for a container.
type Env struct {
	Container, Key, Value string
}

// Request is what `ecsctl run` asks for.
type Request struct {
	Cluster string
	// Service (its PRIMARY deployment's task definition, network
	// configuration and launch type or capacity provider strategy), or
	// TaskDef (family:revision or an ARN).
	Service string
	TaskDef string
	// Container whose command is replaced (default: the main container).
	Container string
	Command   []string
	Env       []Env
	// CPU and Memory override the task's size (CPU units, MiB; "" keeps it).
	CPU, Memory string
	// LaunchType (EC2 or FARGATE), Subnets, SecurityGroups and
	// PublicIP: how a --task-def task runs (a service's task runs as the
	// service's do, unless Subnets or SecurityGroups are given).
	LaunchType     string
	Subnets        []string
	SecurityGroups []string
	PublicIP       bool
}

// Plan is a request resolved against AWS: the RunTask call to make.
type Plan struct {
	Input *ecs.RunTaskInput
	// Container is the main container: its command is overridden and its
	// exit code is the run's.
	Container string
	Fargate   bool
}

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks a request before any AWS call.
func Validate(ctx context.Context, r Request) error {
	switch {
	case strings.TrimSpace(r.Cluster) == "":
		return ops.Inputf("missing %s: name the cluster with %s or ECSCTL_CLUSTER", ops.Opt(ctx, "Cluster"), ops.Opt(ctx, "Cluster"))
	case r.Service == "" && r.TaskDef == "":
		return ops.Inputf("say what to run: give %s NAME (its current task definition) or %s FAMILY:REVISION", ops.Opt(ctx, "Service"), ops.Opt(ctx, "TaskDef"))
	case r.Service != "" && r.TaskDef != "":
		return ops.Inputf("%s and %s cannot be combined: give one or the other", ops.Opt(ctx, "Service"), ops.Opt(ctx, "TaskDef"))
	}
	if r.LaunchType != "" && r.LaunchType != "EC2" && r.LaunchType != "FARGATE" {
		return ops.Inputf("invalid %s %q: use EC2 or FARGATE", ops.Opt(ctx, "LaunchType"), r.LaunchType)
	}
	for _, e := range r.Env {
		if e.Container == "" || !envKeyRE.MatchString(e.Key) {
			return ops.Inputf("invalid %s %s:%s: want CONTAINER:KEY=VALUE with KEY made of letters, digits and _", ops.Opt(ctx, "Env"), e.Container, e.Key)
		}
	}
	for _, f := range []struct{ name, v string }{{ops.Opt(ctx, "CPU"), r.CPU}, {ops.Opt(ctx, "Memory"), r.Memory}} {
		if f.v == "" {
			continue
		}
		if n, err := strconv.Atoi(f.v); err != nil || n <= 0 {
			return ops.Inputf("invalid %s %q: want a positive whole number (CPU units, 1024 = 1 vCPU; memory in MiB)", f.name, f.v)
		}
	}
	for _, s := range r.Subnets {
		if !strings.HasPrefix(s, "subnet-") {
			return ops.Inputf("invalid %s %q: want a subnet id like subnet-0123456789abcdef0", ops.Opt(ctx, "Subnet"), s)
		}
	}
	for _, s := range r.SecurityGroups {
		if !strings.HasPrefix(s, "sg-") {
			return ops.Inputf("invalid %s %q: want a security group id like sg-0123456789abcdef0", ops.Opt(ctx, "SecurityGroup"), s)
		}
	}
	return nil
}

// Prepare resolves a request into the RunTask call: the service's or the
// named task definition, the main container, the overrides, the compute.
// Everything wrong with the request is an ops.InputError, found before
// anything starts.
func Prepare(ctx context.Context, api ECS, r Request) (*Plan, error) {
	if err := Validate(ctx, r); err != nil {
		return nil, err
	}
	in := &ecs.RunTaskInput{Cluster: aws.String(r.Cluster), StartedBy: aws.String(StartedBy), Count: aws.Int32(1)}
	fargate := false
	tdRef := r.TaskDef
	if r.Service != "" {
		var err error
		if tdRef, fargate, err = serviceCompute(ctx, api, r, in); err != nil {
			return nil, err
		}
	}
	td, err := describeTaskDef(ctx, api, r, tdRef)
	if err != nil {
		return nil, err
	}
	in.TaskDefinition = td.TaskDefinitionArn
	if r.Service == "" {
		if fargate, err = taskDefCompute(ctx, r, td, in); err != nil {
			return nil, err
		}
	}
	if err := setNetwork(ctx, r, td, in); err != nil {
		return nil, err
	}
	main, err := MainContainer(ctx, td, r.Container)
	if err != nil {
		return nil, err
	}
	ov, err := overrides(ctx, td, main, r)
	if err != nil {
		return nil, err
	}
	if err := checkSize(ctx, td, r, fargate); err != nil {
		return nil, err
	}
	in.Overrides = ov
	return &Plan{Input: in, Container: main, Fargate: fargate}, nil
}

// serviceCompute sets in's network, compute and placement to the
// service's, and returns the task definition the service runs now and
// whether that is on Fargate.
func serviceCompute(ctx context.Context, api ECS, r Request, in *ecs.RunTaskInput) (string, bool, error) {
	out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(r.Cluster), Services: []string{r.Service}})
	if err != nil {
		return "", false, fmt.Errorf("describe service %s/%s: %w", r.Cluster, r.Service, err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return "", false, ops.Inputf("service %s/%s not found: check %s ('ecsctl services -c %s' lists them)", r.Cluster, r.Service, ops.Opt(ctx, "Service"), r.Cluster)
	}
	svc := out.Services[0]
	// The PRIMARY deployment is what the service runs now; the
	// service's own fields may already say what the next one will use
	// (a strategy change "doesn't trigger a new service deployment":
	// UpdateServiceInput doc).
	d := primary(svc)
	tdRef := aws.ToString(svc.TaskDefinition)
	nc, lt, strat := svc.NetworkConfiguration, svc.LaunchType, svc.CapacityProviderStrategy
	if d != nil {
		tdRef = aws.ToString(d.TaskDefinition)
		nc, lt, strat = d.NetworkConfiguration, d.LaunchType, d.CapacityProviderStrategy
	}
	in.NetworkConfiguration = nc
	if len(strat) > 0 {
		in.CapacityProviderStrategy = strat
	} else {
		in.LaunchType = lt
	}
	fargate := lt == types.LaunchTypeFargate
	for _, it := range strat {
		p := aws.ToString(it.CapacityProvider)
		fargate = fargate || p == "FARGATE" || p == "FARGATE_SPOT"
	}
	if fargate {
		if d != nil && d.PlatformVersion != nil {
			in.PlatformVersion = d.PlatformVersion // a pinned platform version stays pinned
		}
	} else {
		// Where the service may place its tasks, the one-off task may too
		// (a memberOf constraint keeps it in the zones the service uses).
		in.PlacementConstraints = svc.PlacementConstraints
		in.PlacementStrategy = svc.PlacementStrategy
	}
	if r.LaunchType != "" {
		return "", false, ops.Inputf("%s is for %s: remove it (a service's task runs as the service's do: %s)", ops.Opt(ctx, "LaunchType"), ops.Opt(ctx, "TaskDef"), computeOf(lt, strat))
	}
	return tdRef, fargate, nil
}

// describeTaskDef reads the task definition to run; a named one that does
// not exist or is INACTIVE is bad input.
func describeTaskDef(ctx context.Context, api ECS, r Request, tdRef string) (*types.TaskDefinition, error) {
	tdOut, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tdRef)})
	if err != nil {
		if isClientNotFound(err) && r.TaskDef != "" {
			return nil, ops.Inputf("task definition %s not found: give FAMILY:REVISION of a registered revision ('aws ecs list-task-definitions --family-prefix FAMILY')", r.TaskDef)
		}
		return nil, fmt.Errorf("describe task definition %s: %w", tdRef, err)
	}
	td := tdOut.TaskDefinition
	if r.TaskDef != "" && td.Status == types.TaskDefinitionStatusInactive {
		return nil, ops.Inputf("task definition %s is INACTIVE (deregistered): give an active revision", r.TaskDef)
	}
	return td, nil
}

// taskDefCompute sets in's launch type for a task definition run without a
// service, and says whether it is Fargate.
func taskDefCompute(ctx context.Context, r Request, td *types.TaskDefinition, in *ecs.RunTaskInput) (bool, error) {
	var fargate bool
	switch {
	case r.LaunchType != "":
		fargate = r.LaunchType == "FARGATE"
	default:
		// A definition only Fargate can run runs there; anything else on EC2.
		fargate = compatible(td, types.CompatibilityFargate) && !compatible(td, types.CompatibilityEc2)
	}
	in.LaunchType = types.LaunchTypeEc2
	if fargate {
		in.LaunchType = types.LaunchTypeFargate
		if !compatible(td, types.CompatibilityFargate) {
			return false, ops.Inputf("task definition %s is not compatible with Fargate (requiresCompatibilities): use %s EC2", shortTD(td), ops.Opt(ctx, "LaunchType"))
		}
	}
	return fargate, nil
}

// setNetwork sets in's awsvpc configuration from the request's subnets,
// security groups and public IP over the service's, and checks that it
// fits the task definition's network mode.
func setNetwork(ctx context.Context, r Request, td *types.TaskDefinition, in *ecs.RunTaskInput) error {
	if len(r.Subnets) > 0 || len(r.SecurityGroups) > 0 {
		vpc := &types.AwsVpcConfiguration{Subnets: r.Subnets, SecurityGroups: r.SecurityGroups, AssignPublicIp: types.AssignPublicIpDisabled}
		if in.NetworkConfiguration != nil && in.NetworkConfiguration.AwsvpcConfiguration != nil {
			old := in.NetworkConfiguration.AwsvpcConfiguration
			if len(vpc.Subnets) == 0 {
				vpc.Subnets = old.Subnets
			}
			if len(vpc.SecurityGroups) == 0 {
				vpc.SecurityGroups = old.SecurityGroups
			}
		}
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: vpc}
	}
	if r.PublicIP && in.NetworkConfiguration != nil && in.NetworkConfiguration.AwsvpcConfiguration != nil {
		in.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp = types.AssignPublicIpEnabled
	}
	if td.NetworkMode == types.NetworkModeAwsvpc {
		if in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil || len(in.NetworkConfiguration.AwsvpcConfiguration.Subnets) == 0 {
			return ops.Inputf("task definition %s uses awsvpc networking: give %s (and %s), or run it through a service with %s", shortTD(td), ops.Opt(ctx, "Subnet"), ops.Opt(ctx, "SecurityGroup"), ops.Opt(ctx, "Service"))
		}
	} else if len(r.Subnets) > 0 || len(r.SecurityGroups) > 0 {
		return ops.Inputf("task definition %s uses %s networking, which takes no subnets or security groups: remove %s and %s", shortTD(td), networkMode(td), ops.Opt(ctx, "Subnet"), ops.Opt(ctx, "SecurityGroup"))
	}
	return nil
}

// primary is the service's PRIMARY deployment (nil if it lists none).
func primary(svc types.Service) *types.Deployment {
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Status) == "PRIMARY" {
			return &svc.Deployments[i]
		}
	}
	return nil
}

func computeOf(lt types.LaunchType, strat []types.CapacityProviderStrategyItem) string {
	if len(strat) == 0 {
		if lt == "" {
			return "EC2"
		}
		return string(lt)
	}
	var ps []string
	for _, it := range strat {
		ps = append(ps, aws.ToString(it.CapacityProvider))
	}
	return "capacity providers " + strings.Join(ps, ", ")
}

func compatible(td *types.TaskDefinition, c types.Compatibility) bool {
	for _, x := range td.RequiresCompatibilities {
		if x == c {
			return true
		}
	}
	for _, x := range td.Compatibilities {
		if x == c {
			return true
		}
	}
	return false
}

func networkMode(td *types.TaskDefinition) string {
	if td.NetworkMode == "" {
		return "bridge"
	}
	return string(td.NetworkMode)
}

func shortTD(td *types.TaskDefinition) string {
	return fmt.Sprintf("%s:%d", aws.ToString(td.Family), td.Revision)
}

// isClientNotFound: DescribeTaskDefinition answers an unknown revision
// with ClientException "Unable to describe task definition." (ECS API
// reference, DescribeTaskDefinition errors).
func isClientNotFound(err error) bool {
	var ce *types.ClientException
	return errors.As(err, &ce)
}

// MainContainer is the named container, else the only one, else the first
// essential one (the app next to its sidecars, in the order the task
// definition lists them).
func MainContainer(ctx context.Context, td *types.TaskDefinition, name string) (string, error) {
	var names []string
	for _, c := range td.ContainerDefinitions {
		names = append(names, aws.ToString(c.Name))
	}
	if name != "" {
		for _, n := range names {
			if n == name {
				return n, nil
			}
		}
		return "", ops.Inputf("task definition %s has no container %q: use %s with one of %s", shortTD(td), name, ops.Opt(ctx, "Container"), strings.Join(names, ", "))
	}
	if len(td.ContainerDefinitions) == 1 {
		return names[0], nil
	}
	for _, c := range td.ContainerDefinitions {
		if c.Essential == nil || *c.Essential {
			return aws.ToString(c.Name), nil
		}
	}
	return "", ops.Inputf("task definition %s has no essential container: name the one to run with %s (%s)", shortTD(td), ops.Opt(ctx, "Container"), strings.Join(names, ", "))
}

// overrides builds the task override: the main container's command, the
// environment overrides per container and the task size.
func overrides(ctx context.Context, td *types.TaskDefinition, main string, r Request) (*types.TaskOverride, error) {
	known := map[string]bool{}
	for _, c := range td.ContainerDefinitions {
		known[aws.ToString(c.Name)] = true
	}
	byName := map[string]*types.ContainerOverride{}
	var order []string
	get := func(name string) *types.ContainerOverride {
		if co := byName[name]; co != nil {
			return co
		}
		co := &types.ContainerOverride{Name: aws.String(name)}
		byName[name] = co
		order = append(order, name)
		return co
	}
	if len(r.Command) > 0 {
		get(main).Command = r.Command
	}
	for _, e := range r.Env {
		if !known[e.Container] {
			return nil, ops.Inputf("%s %s:%s names no container of %s: use one of %s", ops.Opt(ctx, "Env"), e.Container, e.Key, shortTD(td), strings.Join(sortedKeys(known), ", "))
		}
		co := get(e.Container)
		replaced := false
		for i := range co.Environment {
			if aws.ToString(co.Environment[i].Name) == e.Key {
				co.Environment[i].Value = aws.String(e.Value)
				replaced = true
			}
		}
		if !replaced {
			co.Environment = append(co.Environment, types.KeyValuePair{Name: aws.String(e.Key), Value: aws.String(e.Value)})
		}
	}
	if len(order) == 0 && r.CPU == "" && r.Memory == "" {
		return nil, nil
	}
	ov := &types.TaskOverride{}
	for _, n := range order {
		ov.ContainerOverrides = append(ov.ContainerOverrides, *byName[n])
	}
	if r.CPU != "" {
		ov.Cpu = aws.String(r.CPU)
	}
	if r.Memory != "" {
		ov.Memory = aws.String(r.Memory)
	}
	return ov, nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
