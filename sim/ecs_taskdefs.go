package sim

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func init() {
	register(SvcECS, "RegisterTaskDefinition", (*Sim).ecsRegisterTaskDefinition)
	register(SvcECS, "DescribeTaskDefinition", (*Sim).ecsDescribeTaskDefinition)
	register(SvcECS, "DeregisterTaskDefinition", (*Sim).ecsDeregisterTaskDefinition)
	register(SvcECS, "DeleteTaskDefinitions", (*Sim).ecsDeleteTaskDefinitions)
	register(SvcECS, "ListTaskDefinitions", (*Sim).ecsListTaskDefinitions)
	register(SvcECS, "ListTaskDefinitionFamilies", (*Sim).ecsListTaskDefinitionFamilies)
}

// ecsLookupTaskDef resolves "family", "family:rev" or an ARN. A bare family
// is its latest ACTIVE revision. Deleted revisions are not found.
func (s *Sim) ecsLookupTaskDef(ref string) *ecsTaskDef {
	if strings.HasPrefix(ref, "arn:") {
		i := strings.Index(ref, ":task-definition/")
		if i < 0 {
			return nil
		}
		ref = ref[i+len(":task-definition/"):]
		if !strings.Contains(ref, ":") {
			return nil
		}
	}
	fam, rev, hasRev := strings.Cut(ref, ":")
	f := s.ecs.Families[fam]
	if f == nil {
		return nil
	}
	if !hasRev {
		for i := len(f.Revisions) - 1; i >= 0; i-- {
			if td := f.Revisions[i]; td.TD.Status == types.TaskDefinitionStatusActive {
				return td
			}
		}
		return nil
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(f.Revisions) || f.Revisions[n-1].Deleted {
		return nil
	}
	return f.Revisions[n-1]
}

func errNoTaskDef() error {
	return apiErr("ClientException", "Unable to describe task definition.")
}

func (s *Sim) ecsRegisterTaskDefinition(in *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionOutput, error) {
	fam := aws.ToString(in.Family)
	if !validName(fam, 255) {
		return nil, apiErr("ClientException", "Family contains invalid characters or is too long: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.")
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, apiErr("ClientException", "Container list cannot be empty.")
	}
	names := map[string]bool{}
	for _, c := range in.ContainerDefinitions {
		n := aws.ToString(c.Name)
		if n == "" {
			return nil, apiErr("ClientException", "Container.name should not be null or empty.")
		}
		if names[n] {
			return nil, apiErr("ClientException", "Duplicate container name '%s'.", n)
		}
		names[n] = true
		if aws.ToString(c.Image) == "" {
			return nil, apiErr("ClientException", "Container.image should not be null or empty.")
		}
		if in.Memory == nil && c.Memory == nil && c.MemoryReservation == nil {
			return nil, apiErr("ClientException", "Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", n)
		}
	}
	for _, c := range in.ContainerDefinitions {
		for _, d := range c.DependsOn {
			if !names[aws.ToString(d.ContainerName)] {
				return nil, apiErr("ClientException", "Container '%s' depends on an unknown container '%s'.", aws.ToString(c.Name), aws.ToString(d.ContainerName))
			}
		}
	}
	if in.Cpu != nil {
		if _, err := strconv.Atoi(*in.Cpu); err != nil && !strings.HasSuffix(strings.ToLower(*in.Cpu), "vcpu") {
			return nil, apiErr("ClientException", "Invalid 'cpu' setting for task.")
		}
	}
	if in.Memory != nil {
		if _, err := strconv.Atoi(*in.Memory); err != nil && !strings.HasSuffix(strings.ToLower(*in.Memory), "gb") {
			return nil, apiErr("ClientException", "Invalid 'memory' setting for task.")
		}
	}
	if err := fargateRegisterOK(in); err != nil {
		return nil, err
	}
	td := s.ecsNewTaskDef(in)
	v := td.TD
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &v, Tags: copyTags(td.Tags)}, nil
}

// ecsNewTaskDef stores a new revision of in.Family.
func (s *Sim) ecsNewTaskDef(in *ecs.RegisterTaskDefinitionInput) *ecsTaskDef {
	fam := aws.ToString(in.Family)
	f := s.ecs.Families[fam]
	if f == nil {
		f = &ecsFamily{Name: fam}
		s.ecs.Families[fam] = f
	}
	rev := int32(len(f.Revisions) + 1)
	nm := in.NetworkMode
	if nm == "" {
		nm = types.NetworkModeBridge
	}
	td := types.TaskDefinition{
		TaskDefinitionArn:    aws.String(s.arn("ecs", "task-definition/"+fam+":"+strconv.Itoa(int(rev)))),
		Family:               aws.String(fam),
		Revision:             rev,
		Status:               types.TaskDefinitionStatusActive,
		ContainerDefinitions: in.ContainerDefinitions,
		Cpu:                  in.Cpu,
		Memory:               in.Memory,
		EnableFaultInjection: in.EnableFaultInjection,
		EphemeralStorage:     in.EphemeralStorage,
		ExecutionRoleArn:     in.ExecutionRoleArn,
		//lint:ignore SA1019 AWS still sends this deprecated field, so the sandbox does too
		InferenceAccelerators:   in.InferenceAccelerators,
		IpcMode:                 in.IpcMode,
		NetworkMode:             nm,
		PidMode:                 in.PidMode,
		PlacementConstraints:    in.PlacementConstraints,
		ProxyConfiguration:      in.ProxyConfiguration,
		RequiresCompatibilities: in.RequiresCompatibilities,
		RuntimePlatform:         in.RuntimePlatform,
		TaskRoleArn:             in.TaskRoleArn,
		Volumes:                 in.Volumes,
		RegisteredAt:            aws.Time(s.Now()),
		RegisteredBy:            aws.String("arn:aws:iam::" + s.AccountID + ":role/ecsctl-sandbox"),
	}
	if td.Volumes == nil {
		td.Volumes = []types.Volume{}
	}
	if td.PlacementConstraints == nil {
		td.PlacementConstraints = []types.TaskDefinitionPlacementConstraint{}
	}
	td.RequiresAttributes = s.ecsRequiredAttributes(&td)
	td.Compatibilities = []types.Compatibility{types.CompatibilityEc2}
	if nm == types.NetworkModeAwsvpc && td.Cpu != nil && td.Memory != nil {
		td.Compatibilities = append(td.Compatibilities, types.CompatibilityFargate)
	}
	d := &ecsTaskDef{TD: td, Tags: copyTags(in.Tags)}
	f.Revisions = append(f.Revisions, d)
	return d
}

// ecsRequiredAttributes derives the agent capabilities a task definition
// needs, as ECS does at registration.
func (s *Sim) ecsRequiredAttributes(td *types.TaskDefinition) []types.Attribute {
	need := map[string]bool{}
	exec := aws.ToString(td.ExecutionRoleArn) != ""
	for _, c := range td.ContainerDefinitions {
		if lc := c.LogConfiguration; lc != nil {
			need["com.amazonaws.ecs.capability.logging-driver."+string(lc.LogDriver)] = true
			need["com.amazonaws.ecs.capability.docker-remote-api.1.19"] = true
			if lc.LogDriver == types.LogDriverAwslogs && exec {
				need["ecs.capability.execution-role-awslogs"] = true
			}
		}
		if strings.Contains(aws.ToString(c.Image), ".dkr.ecr.") {
			need["com.amazonaws.ecs.capability.ecr-auth"] = true
			if exec {
				need["ecs.capability.execution-role-ecr-pull"] = true
			}
		}
		for _, sec := range c.Secrets {
			if strings.Contains(aws.ToString(sec.ValueFrom), ":secretsmanager:") {
				need["ecs.capability.secrets.asm.environment-variables"] = true
			} else {
				need["ecs.capability.secrets.ssm.environment-variables"] = true
			}
		}
		if len(c.DependsOn) > 0 {
			need["ecs.capability.container-ordering"] = true
		}
		if c.HealthCheck != nil {
			need["ecs.capability.container-health-check"] = true
		}
		if c.MemoryReservation != nil {
			need["com.amazonaws.ecs.capability.docker-remote-api.1.21"] = true
		}
	}
	if aws.ToString(td.TaskRoleArn) != "" {
		need["com.amazonaws.ecs.capability.task-iam-role"] = true
	}
	if td.NetworkMode == types.NetworkModeAwsvpc {
		need["ecs.capability.task-eni"] = true
	}
	if td.Cpu != nil || td.Memory != nil {
		need["ecs.capability.task-cpu-mem-limit"] = true
	}
	attrs := []types.Attribute{}
	for _, n := range sortedKeys(need) {
		attrs = append(attrs, types.Attribute{Name: aws.String(n)})
	}
	return attrs
}

func (s *Sim) ecsDescribeTaskDefinition(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
	td := s.ecsLookupTaskDef(aws.ToString(in.TaskDefinition))
	if td == nil {
		return nil, errNoTaskDef()
	}
	v := td.TD
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &v}
	if hasField(in.Include, "TAGS") {
		out.Tags = copyTags(td.Tags)
		if out.Tags == nil {
			out.Tags = []types.Tag{}
		}
	}
	return out, nil
}

func (s *Sim) ecsDeregisterTaskDefinition(in *ecs.DeregisterTaskDefinitionInput) (*ecs.DeregisterTaskDefinitionOutput, error) {
	ref := aws.ToString(in.TaskDefinition)
	if !strings.Contains(strings.TrimPrefix(ref, s.arn("ecs", "task-definition/")), ":") {
		return nil, apiErr("InvalidParameterException", "TaskDefinition must include a revision: family:revision or the full ARN.")
	}
	td := s.ecsLookupTaskDef(ref)
	if td == nil {
		return nil, apiErr("ClientException", "The specified task definition does not exist.")
	}
	if td.TD.Status == types.TaskDefinitionStatusActive {
		td.TD.Status = types.TaskDefinitionStatusInactive
		td.TD.DeregisteredAt = aws.Time(s.Now())
	}
	v := td.TD
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: &v}, nil
}

func (s *Sim) ecsDeleteTaskDefinitions(in *ecs.DeleteTaskDefinitionsInput) (*ecs.DeleteTaskDefinitionsOutput, error) {
	if len(in.TaskDefinitions) == 0 || len(in.TaskDefinitions) > 10 {
		return nil, apiErr("InvalidParameterException", "taskDefinitions must have between 1 and 10 items.")
	}
	out := &ecs.DeleteTaskDefinitionsOutput{TaskDefinitions: []types.TaskDefinition{}, Failures: []types.Failure{}}
	for _, ref := range in.TaskDefinitions {
		td := s.ecsLookupTaskDef(ref)
		arn := ref
		if td != nil {
			arn = aws.ToString(td.TD.TaskDefinitionArn)
		}
		switch {
		case td == nil || !strings.Contains(strings.TrimPrefix(ref, s.arn("ecs", "task-definition/")), ":"):
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("The specified task definition does not exist.")})
		case td.TD.Status == types.TaskDefinitionStatusActive:
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("The specified task definition is still in ACTIVE status. Please deregister the target and try again.")})
		default:
			td.TD.Status = types.TaskDefinitionStatusDeleteInProgress
			td.TD.DeleteRequestedAt = aws.Time(s.Now())
			td.Deleted = true
			out.TaskDefinitions = append(out.TaskDefinitions, td.TD)
		}
	}
	return out, nil
}

func (s *Sim) ecsListTaskDefinitions(in *ecs.ListTaskDefinitionsInput) (*ecs.ListTaskDefinitionsOutput, error) {
	status := in.Status
	if status == "" {
		status = types.TaskDefinitionStatusActive
	}
	var arns []string
	var fams []string
	if p := aws.ToString(in.FamilyPrefix); p != "" {
		// familyPrefix is the full family name, despite its name.
		if s.ecs.Families[p] != nil {
			fams = []string{p}
		}
	} else {
		fams = sortedKeys(s.ecs.Families)
	}
	for _, fn := range fams {
		for _, td := range s.ecs.Families[fn].Revisions {
			if td.TD.Status == status && !td.Deleted {
				arns = append(arns, aws.ToString(td.TD.TaskDefinitionArn))
			}
		}
	}
	if in.Sort == types.SortOrderDesc {
		for i, j := 0, len(arns)-1; i < j; i, j = i+1, j-1 {
			arns[i], arns[j] = arns[j], arns[i]
		}
	}
	page, next, err := s.ecsPage(arns, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: nonNil(page), NextToken: next}, nil
}

func (s *Sim) ecsListTaskDefinitionFamilies(in *ecs.ListTaskDefinitionFamiliesInput) (*ecs.ListTaskDefinitionFamiliesOutput, error) {
	var fams []string
	p := aws.ToString(in.FamilyPrefix)
	for _, fn := range sortedKeys(s.ecs.Families) {
		if !strings.HasPrefix(fn, p) {
			continue
		}
		active := false
		for _, td := range s.ecs.Families[fn].Revisions {
			if td.TD.Status == types.TaskDefinitionStatusActive {
				active = true
			}
		}
		switch in.Status {
		case types.TaskDefinitionFamilyStatusInactive:
			if active {
				continue
			}
		case types.TaskDefinitionFamilyStatusAll:
		default:
			if !active {
				continue
			}
		}
		fams = append(fams, fn)
	}
	page, next, err := s.ecsPage(fams, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ecs.ListTaskDefinitionFamiliesOutput{Families: nonNil(page), NextToken: next}, nil
}
