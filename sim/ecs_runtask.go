package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// RunTask as the ECS API reference describes it (RunTask, TaskOverride,
// ContainerOverride; the SDK's RunTaskInput doc comments):
//   - launchType and capacityProviderStrategy exclude each other ("If a
//     capacityProviderStrategy is specified, the launchType parameter must be
//     omitted"); with neither, the task runs on EC2 (the sandbox's clusters
//     have no default capacity provider strategy).
//   - A task definition in awsvpc mode needs networkConfiguration (on EC2
//     too); a Fargate task also needs a Fargate-compatible definition and
//     task-level cpu and memory that Fargate offers, takes no placement
//     constraints or strategies, and runs in one of the given subnets.
//   - overrides.cpu and overrides.memory replace the task's size (for
//     placement and in the task's cpu and memory); containerOverrides name
//     containers of the task definition and replace their command and add
//     to or replace their environment.
//   - startedBy: "Up to 128 letters (uppercase and lowercase), numbers,
//     hyphens (-), forward slash (/), and underscores (_) are allowed."
//   - clientToken makes the call idempotent per cluster: "If you retry a
//     request that completed successfully using the same client token and
//     the same parameters, the original request's result is returned"; with
//     other parameters the retry fails with ConflictException; tokens live
//     24 hours (API reference, "Ensuring idempotency", "Idempotency for
//     RunTask"). The SDK fills a token once per call, before its retries,
//     so a retried RunTask whose first answer was lost starts no second task.
//   - On EC2 a task that fits on no container instance is not an error: it
//     is a failures[] entry with reason RESOURCE:CPU, RESOURCE:MEMORY or
//     RESOURCE:PORTS (API reference, "API failure reasons"), and no task.

var startedByRE = regexp.MustCompile(`^[A-Za-z0-9_/-]{1,128}$`)

func (s *Sim) ecsRunTask(in *ecs.RunTaskInput) (*ecs.RunTaskOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	token, fp, replay, err := s.runTaskIdempotency(c, in)
	if replay != nil || err != nil {
		return replay, err
	}
	td := s.ecsLookupTaskDef(aws.ToString(in.TaskDefinition))
	if td == nil || td.TD.Status != types.TaskDefinitionStatusActive {
		return nil, apiErr("ClientException", "TaskDefinition not found.")
	}
	count, group, err := runTaskCountAndGroup(in, td)
	if err != nil {
		return nil, err
	}
	fargate, err := runTaskOnFargate(c, in, td)
	if err != nil {
		return nil, err
	}
	eff, err := runTaskSized(td, in.Overrides, fargate)
	if err != nil {
		return nil, err
	}
	if td.TD.NetworkMode == types.NetworkModeAwsvpc {
		if err := awsvpcConfigOK(in.NetworkConfiguration); err != nil {
			return nil, err
		}
	}
	if err := runTaskOverridesOK(td, in.Overrides); err != nil {
		return nil, err
	}
	var req placeReq
	if !fargate {
		if req, err = s.runTaskEC2PlaceReq(c, in, eff); err != nil {
			return nil, err
		}
	}
	out := s.runTaskStart(c, in, eff, req, fargate, count, group)
	if token != "" {
		s.runTaskRemember(c, token, fp, out)
	}
	return out, nil
}

// runTaskIdempotency checks the call's client token. replay is the original
// call's answer when this is a retry of it; token and fp are what to
// remember the call by (empty without a token).
func (s *Sim) runTaskIdempotency(c *ecsCluster, in *ecs.RunTaskInput) (token, fp string, replay *ecs.RunTaskOutput, err error) {
	if in.ClientToken == nil {
		return "", "", nil, nil
	}
	token = *in.ClientToken
	if len(token) == 0 || len(token) > 64 || strings.IndexFunc(token, func(r rune) bool { return r < 33 || r > 126 }) >= 0 {
		return "", "", nil, apiErr("InvalidParameterException", "clientToken must be 1 to 64 ASCII characters in the range 33-126.")
	}
	fp = runTaskFingerprint(in)
	if prev := c.RunTaskTokens[token]; prev != nil && s.Now().Sub(prev.At) < runTaskTokenTTL {
		if prev.Params != fp {
			return "", "", nil, apiErr("ConflictException", "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.")
		}
		return token, fp, s.runTaskReplay(prev), nil
	}
	return token, fp, nil, nil
}

// runTaskCountAndGroup validates count (default 1), group (default
// family:<family>) and startedBy.
func runTaskCountAndGroup(in *ecs.RunTaskInput, td *ecsTaskDef) (int, string, error) {
	count := int(aws.ToInt32(in.Count))
	if in.Count == nil {
		count = 1
	}
	if count < 1 || count > 10 {
		return 0, "", apiErr("InvalidParameterException", "Count must be between 1 and 10.")
	}
	group := aws.ToString(in.Group)
	if group == "" {
		group = "family:" + aws.ToString(td.TD.Family)
	}
	if strings.HasPrefix(group, "service:") {
		return 0, "", apiErr("InvalidParameterException", "Group cannot start with 'service:'.")
	}
	if in.StartedBy != nil && !startedByRE.MatchString(*in.StartedBy) {
		return 0, "", apiErr("InvalidParameterException", "startedBy may contain up to 128 letters, numbers, hyphens, forward slashes and underscores.")
	}
	return count, group, nil
}

// runTaskOnFargate decides from the launch type or capacity provider
// strategy whether the tasks run on Fargate, and checks what Fargate
// refuses.
func runTaskOnFargate(c *ecsCluster, in *ecs.RunTaskInput, td *ecsTaskDef) (bool, error) {
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return false, apiErr("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	fargate := false
	switch in.LaunchType {
	case "", types.LaunchTypeEc2:
	case types.LaunchTypeFargate:
		fargate = true
	default:
		return false, apiErr("InvalidParameterException", "The sandbox has no %s capacity; use launch type EC2 or FARGATE.", in.LaunchType)
	}
	if len(in.CapacityProviderStrategy) > 0 {
		var err error
		if fargate, err = checkStrategy(c, in.CapacityProviderStrategy); err != nil {
			return false, err
		}
	}
	if !fargate {
		return false, nil
	}
	if err := fargateTaskDefOK(td); err != nil {
		return false, err
	}
	if len(in.PlacementConstraints) > 0 || len(in.PlacementStrategy) > 0 {
		return false, apiErr("InvalidParameterException", "Placement constraints and strategies are not supported with FARGATE launch type.")
	}
	return true, nil
}

// runTaskEC2PlaceReq is what an EC2 task needs of a container instance. A
// cluster with no live instance is an error, not placement failures.
func (s *Sim) runTaskEC2PlaceReq(c *ecsCluster, in *ecs.RunTaskInput, eff *ecsTaskDef) (placeReq, error) {
	live := 0
	for _, a := range c.Instances {
		if ci := s.ecs.Instances[a]; aws.ToString(ci.CI.Status) != "INACTIVE" {
			live++
		}
	}
	if live == 0 {
		return placeReq{}, apiErr("InvalidParameterException", "No Container Instances were found in your cluster.")
	}
	req := s.ecsPlaceReq(eff, in.PlacementConstraints, nil)
	if req.err != nil {
		return placeReq{}, req.err
	}
	if err := validateStrategy(in.PlacementStrategy); err != nil {
		return placeReq{}, err
	}
	req.strategy = in.PlacementStrategy
	return req, nil
}

// runTaskStart places and creates count tasks; a task that fits nowhere is
// a failures[] entry.
func (s *Sim) runTaskStart(c *ecsCluster, in *ecs.RunTaskInput, eff *ecsTaskDef, req placeReq, fargate bool, count int, group string) *ecs.RunTaskOutput {
	counts := newPlaceCounts()
	perProvider, perSubnet := map[string]int{}, map[string]int{}
	out := &ecs.RunTaskOutput{Tasks: []types.Task{}, Failures: []types.Failure{}}
	for i := 0; i < count; i++ {
		var inst *ecsInstance
		if fargate {
			inst = s.fargateRunPlace(in, perProvider, perSubnet)
		} else {
			var fail types.Failure
			if inst, fail = s.ecsPlace(c, req, counts); inst == nil {
				out.Failures = append(out.Failures, fail)
				continue
			}
			counts.add(inst)
		}
		t := s.ecsCreateTask(c, eff, inst, group, aws.ToString(in.StartedBy), nil, "", in.Tags)
		if in.Overrides != nil {
			t.Task.Overrides = runTaskOverrideView(in.Overrides)
		}
		out.Tasks = append(out.Tasks, s.ecsTaskView(t, true))
	}
	return out
}

// runTaskRemember records the call's answer under its client token and
// forgets tokens past their time to live.
func (s *Sim) runTaskRemember(c *ecsCluster, token, fp string, out *ecs.RunTaskOutput) {
	if c.RunTaskTokens == nil {
		c.RunTaskTokens = map[string]*runTaskToken{}
	}
	rec := &runTaskToken{Params: fp, At: s.Now(), Failures: out.Failures}
	for _, t := range out.Tasks {
		rec.Tasks = append(rec.Tasks, aws.ToString(t.TaskArn))
	}
	c.RunTaskTokens[token] = rec
	for k, r := range c.RunTaskTokens {
		if s.Now().Sub(r.At) >= runTaskTokenTTL {
			delete(c.RunTaskTokens, k)
		}
	}
}

// runTaskTokenTTL: "The RunTask client token has a time to live (TTL) of
// 24 hours" (API reference, "Idempotency for RunTask").
const runTaskTokenTTL = 24 * time.Hour

// runTaskToken is one RunTask call made with a client token.
type runTaskToken struct {
	Params   string          `json:"params"` // fingerprint of the call's parameters
	At       time.Time       `json:"at"`
	Tasks    []string        `json:"tasks,omitempty"`
	Failures []types.Failure `json:"failures,omitempty"`
}

// runTaskFingerprint identifies a call's parameters (all but the token).
func runTaskFingerprint(in *ecs.RunTaskInput) string {
	cp := *in
	cp.ClientToken = nil
	b, _ := json.Marshal(&cp)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// runTaskReplay answers a retried call with the original call's tasks, as
// they are now.
func (s *Sim) runTaskReplay(prev *runTaskToken) *ecs.RunTaskOutput {
	out := &ecs.RunTaskOutput{Tasks: []types.Task{}, Failures: append([]types.Failure{}, prev.Failures...)}
	for _, arn := range prev.Tasks {
		if t := s.ecs.Tasks[arn]; t != nil {
			out.Tasks = append(out.Tasks, s.ecsTaskView(t, true))
		}
	}
	return out
}

// runTaskSized is td with the overrides' task-level cpu and memory (td
// itself when there are none; the copy keeps td's ARN, so the task names
// the registered revision). On Fargate the size must be one Fargate offers.
func runTaskSized(td *ecsTaskDef, ov *types.TaskOverride, fargate bool) (*ecsTaskDef, error) {
	eff := td
	if ov != nil && (ov.Cpu != nil || ov.Memory != nil) {
		cp := *td
		if ov.Cpu != nil {
			if parseTaskSize(ov.Cpu, 1024) <= 0 {
				return nil, apiErr("InvalidParameterException", "Invalid 'cpu' setting for task.")
			}
			cp.TD.Cpu = aws.String(strconv.Itoa(parseTaskSize(ov.Cpu, 1024)))
		}
		if ov.Memory != nil {
			if parseTaskSize(ov.Memory, 1024) <= 0 {
				return nil, apiErr("InvalidParameterException", "Invalid 'memory' setting for task.")
			}
			cp.TD.Memory = aws.String(strconv.Itoa(parseTaskSize(ov.Memory, 1024)))
		}
		eff = &cp
	}
	if fargate {
		cpu, mem := parseTaskSize(eff.TD.Cpu, 1024), parseTaskSize(eff.TD.Memory, 1024)
		if !FargateSizeOK(cpu, mem) {
			return nil, apiErr("ClientException", "No Fargate configuration exists for given values: %d CPU, %d memory. See the Amazon ECS documentation for the valid values.", cpu, mem)
		}
	}
	return eff, nil
}

// FargateSizeOK reports whether Fargate offers a task of cpu units and mem
// MiB, from the table in the ECS developer guide ("Task CPU and memory";
// the SDK's TaskDefinition.Memory doc): 256 with 512, 1024 or 2048; 512
// with 1–4 GB; 1024 with 2–8 GB; 2048 with 4–16 GB and 4096 with 8–30 GB
// in 1 GB steps; 8192 with 16–60 GB in 4 GB steps; 16384 with 32–120 GB
// in 8 GB steps.
func FargateSizeOK(cpu, mem int) bool {
	in := func(lo, hi, step int) bool { return mem >= lo && mem <= hi && (mem-lo)%step == 0 }
	switch cpu {
	case 256:
		return mem == 512 || mem == 1024 || mem == 2048
	case 512:
		return in(1024, 4096, 1024)
	case 1024:
		return in(2048, 8192, 1024)
	case 2048:
		return in(4096, 16384, 1024)
	case 4096:
		return in(8192, 30720, 1024)
	case 8192:
		return in(16384, 61440, 4096)
	case 16384:
		return in(32768, 122880, 8192)
	}
	return false
}

// runTaskOverridesOK checks that container overrides name containers of td.
func runTaskOverridesOK(td *ecsTaskDef, ov *types.TaskOverride) error {
	if ov == nil {
		return nil
	}
	for _, co := range ov.ContainerOverrides {
		found := false
		for _, cd := range td.TD.ContainerDefinitions {
			found = found || aws.ToString(cd.Name) == aws.ToString(co.Name)
		}
		if !found {
			return apiErr("InvalidParameterException", "Override for container named %s is not a container in the TaskDefinition.", aws.ToString(co.Name))
		}
	}
	return nil
}

// runTaskOverrideView is the overrides as DescribeTasks returns them.
func runTaskOverrideView(ov *types.TaskOverride) *types.TaskOverride {
	v := *ov
	v.ContainerOverrides = append([]types.ContainerOverride{}, ov.ContainerOverrides...)
	//lint:ignore SA1019 AWS still sends this deprecated field, so the sandbox does too
	if v.InferenceAcceleratorOverrides == nil {
		//lint:ignore SA1019 as above
		v.InferenceAcceleratorOverrides = []types.InferenceAcceleratorOverride{}
	}
	return &v
}

// fargateRunPlace is the Fargate capacity of one RunTask task: the provider
// by the strategy (none for launch type FARGATE) and the least used of the
// given subnets, counting the tasks this call started.
func (s *Sim) fargateRunPlace(in *ecs.RunTaskInput, perProvider, perSubnet map[string]int) *ecsInstance {
	subnets := in.NetworkConfiguration.AwsvpcConfiguration.Subnets
	subnet := subnets[0]
	for _, sn := range subnets[1:] {
		if perSubnet[sn] < perSubnet[subnet] {
			subnet = sn
		}
	}
	perSubnet[subnet]++
	provider := strategyPick(in.CapacityProviderStrategy, perProvider)
	perProvider[provider]++
	return &ecsInstance{
		AZ: s.ecsSubnetAZ(subnet),
		CI: types.ContainerInstance{Attributes: []types.Attribute{
			{Name: aws.String("ecs.cpu-architecture"), Value: aws.String("x86_64")},
			{Name: aws.String("ecs.subnet-id"), Value: aws.String(subnet)},
		}},
		fargate: &fargateHost{provider: provider},
	}
}
