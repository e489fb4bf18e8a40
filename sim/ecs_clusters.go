package sim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func init() {
	register(SvcECS, "CreateCluster", (*Sim).ecsCreateCluster)
	register(SvcECS, "ListClusters", (*Sim).ecsListClusters)
	register(SvcECS, "DescribeClusters", (*Sim).ecsDescribeClusters)
	register(SvcECS, "ListContainerInstances", (*Sim).ecsListContainerInstances)
	register(SvcECS, "DescribeContainerInstances", (*Sim).ecsDescribeContainerInstances)
	register(SvcECS, "UpdateContainerInstancesState", (*Sim).ecsUpdateContainerInstancesState)
	register(SvcECS, "ListAttributes", (*Sim).ecsListAttributes)
	register(SvcECS, "PutAttributes", (*Sim).ecsPutAttributes)
	register(SvcECS, "TagResource", (*Sim).ecsTagResource)
	register(SvcECS, "UntagResource", (*Sim).ecsUntagResource)
	register(SvcECS, "ListTagsForResource", (*Sim).ecsListTagsForResource)
	register(SvcECS, "DescribeCapacityProviders", (*Sim).ecsDescribeCapacityProviders)
}

// ecsNewCluster creates a cluster and registers agents that were waiting for it.
func (s *Sim) ecsNewCluster(name string, tags []types.Tag) *ecsCluster {
	c := &ecsCluster{
		Name: name, Arn: s.arn("ecs", "cluster/"+name), Status: "ACTIVE",
		Tags: copyTags(tags), Services: map[string]*ecsService{},
	}
	s.ecs.Clusters[name] = c
	for _, info := range append([]InstanceInfo(nil), s.ecs.Unregistered...) {
		if info.Cluster == name {
			s.ecsRegisterInstance(info)
		}
	}
	return c
}

func (s *Sim) ecsCreateCluster(in *ecs.CreateClusterInput) (*ecs.CreateClusterOutput, error) {
	name := aws.ToString(in.ClusterName)
	if name == "" {
		name = "default"
	}
	if !validName(name, 255) {
		return nil, apiErr("InvalidParameterException", "Cluster name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.")
	}
	c := s.ecs.Clusters[name]
	if c == nil || c.Status == "INACTIVE" {
		c = s.ecsNewCluster(name, in.Tags)
	}
	cl := s.ecsClusterView(c, true, false)
	return &ecs.CreateClusterOutput{Cluster: &cl}, nil
}

func validName(n string, max int) bool {
	if n == "" || len(n) > max {
		return false
	}
	for _, r := range n {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *Sim) ecsListClusters(in *ecs.ListClustersInput) (*ecs.ListClustersOutput, error) {
	var arns []string
	for _, n := range sortedKeys(s.ecs.Clusters) {
		if c := s.ecs.Clusters[n]; c.Status != "INACTIVE" {
			arns = append(arns, c.Arn)
		}
	}
	page, next, err := s.ecsPage(arns, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ecs.ListClustersOutput{ClusterArns: nonNil(page), NextToken: next}, nil
}

func nonNil(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

// ecsClusterView renders a cluster with its counts.
func (s *Sim) ecsClusterView(c *ecsCluster, stats, tags bool) types.Cluster {
	cl := types.Cluster{
		ClusterArn: aws.String(c.Arn), ClusterName: aws.String(c.Name), Status: aws.String(c.Status),
		CapacityProviders:               append([]string{}, c.CapacityProviders...),
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{},
	}
	for _, a := range c.Instances {
		if in := s.ecs.Instances[a]; in != nil && aws.ToString(in.CI.Status) != "INACTIVE" {
			cl.RegisteredContainerInstancesCount++
		}
	}
	// Statistics split EC2 and Fargate tasks and services (DescribeClusters
	// include STATISTICS: runningFargateTasksCount and the like).
	var running, pending, fgRunning, fgPending int32
	for ta := range s.ecs.clusterTasks[c.Name] {
		t := s.ecs.Tasks[ta]
		fg := ecsOnFargate(t)
		switch aws.ToString(t.Task.LastStatus) {
		case "RUNNING":
			running++
			if fg {
				fgRunning++
			}
		case "PENDING", "PROVISIONING", "ACTIVATING":
			pending++
			if fg {
				fgPending++
			}
		}
	}
	var active, draining, fgActive, fgDraining int32
	for _, sv := range c.Services {
		fg := ecsFargateService(sv)
		switch aws.ToString(sv.Svc.Status) {
		case "ACTIVE":
			active++
			if fg {
				fgActive++
			}
		case "DRAINING":
			draining++
			if fg {
				fgDraining++
			}
		}
	}
	cl.RunningTasksCount, cl.PendingTasksCount, cl.ActiveServicesCount = running, pending, active
	if stats {
		kv := func(k string, v int32) types.KeyValuePair {
			return types.KeyValuePair{Name: aws.String(k), Value: aws.String(strconv.Itoa(int(v)))}
		}
		cl.Statistics = []types.KeyValuePair{
			kv("runningEC2TasksCount", running-fgRunning), kv("runningFargateTasksCount", fgRunning), kv("pendingEC2TasksCount", pending-fgPending),
			kv("pendingFargateTasksCount", fgPending), kv("activeEC2ServiceCount", active-fgActive), kv("activeFargateServiceCount", fgActive),
			kv("drainingEC2ServiceCount", draining-fgDraining), kv("drainingFargateServiceCount", fgDraining),
		}
	}
	if tags {
		cl.Tags = copyTags(c.Tags)
	}
	return cl
}

func (s *Sim) ecsDescribeClusters(in *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{"default"}
	}
	if len(refs) > 100 {
		return nil, apiErr("InvalidParameterException", "Clusters cannot have more than 100 elements")
	}
	out := &ecs.DescribeClustersOutput{Clusters: []types.Cluster{}, Failures: []types.Failure{}}
	stats, tags := hasField(in.Include, "STATISTICS"), hasField(in.Include, "TAGS")
	for _, r := range refs {
		name := ecsClusterName(&r)
		c := s.ecs.Clusters[name]
		if c == nil {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(s.arn("ecs", "cluster/"+name)), Reason: aws.String("MISSING")})
			continue
		}
		out.Clusters = append(out.Clusters, s.ecsClusterView(c, stats, tags))
	}
	return out, nil
}

// ---- container instances ----

// ecsInstanceView renders a container instance with its current counts and
// remaining resources.
func (s *Sim) ecsInstanceView(in *ecsInstance, tags bool) types.ContainerInstance {
	ci := in.CI
	ci.Attributes = append([]types.Attribute(nil), in.CI.Attributes...)
	if !tags {
		ci.Tags = nil
	} else {
		ci.Tags = copyTags(in.CI.Tags)
	}
	var running, pending int32
	var static []string
	for ta := range s.ecs.instTasks[aws.ToString(in.CI.ContainerInstanceArn)] {
		t := s.ecs.Tasks[ta]
		if t == nil {
			continue
		}
		if aws.ToString(t.Task.DesiredStatus) == "RUNNING" {
			switch aws.ToString(t.Task.LastStatus) {
			case "RUNNING":
				running++
			case "PENDING", "PROVISIONING", "ACTIVATING":
				pending++
			}
		}
		for _, p := range t.HostPorts {
			static = append(static, strconv.Itoa(int(p)))
		}
	}
	sort.Strings(static)
	ci.RunningTasksCount, ci.PendingTasksCount = running, pending
	reserved := []string{"22", "2375", "2376", "51678", "51679"}
	res := func(cpu, mem int, ports []string) []types.Resource {
		return []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: int32(cpu)},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: int32(mem)},
			{Name: aws.String("PORTS"), Type: aws.String("STRINGSET"), StringSetValue: ports},
			{Name: aws.String("PORTS_UDP"), Type: aws.String("STRINGSET"), StringSetValue: []string{}},
		}
	}
	ci.RegisteredResources = res(in.CPU, in.Memory, reserved)
	ci.RemainingResources = res(in.CPU-in.CPUUsed, in.Memory-in.MemUsed, append(append([]string{}, reserved...), static...))
	return ci
}

// ecsFindInstance resolves a container instance ARN or ID in cluster c.
func (s *Sim) ecsFindInstance(c *ecsCluster, ref string) *ecsInstance {
	if strings.HasPrefix(ref, "arn:") {
		in := s.ecs.Instances[ref]
		if in == nil || in.Cluster != c.Name {
			return nil
		}
		return in
	}
	in := s.ecs.Instances[s.arn("ecs", "container-instance/"+c.Name+"/"+ref)]
	if in == nil || in.Cluster != c.Name {
		return nil
	}
	return in
}

func (s *Sim) ecsListContainerInstances(in *ecs.ListContainerInstancesInput) (*ecs.ListContainerInstancesOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.Status != "" && !hasField(in.Status.Values(), string(in.Status)) {
		return nil, apiErr("InvalidParameterException", "Invalid status %s; valid values are %v.", in.Status, in.Status.Values())
	}
	var f ciFilter
	if q := aws.ToString(in.Filter); q != "" {
		if f, err = parseCIFilter(q); err != nil {
			return nil, err
		}
	}
	var arns []string
	for _, a := range c.Instances {
		ci := s.ecs.Instances[a]
		st := aws.ToString(ci.CI.Status)
		if in.Status != "" {
			if st != string(in.Status) {
				continue
			}
		} else if st == "INACTIVE" {
			continue
		}
		if f != nil && !f.match(ci) {
			continue
		}
		arns = append(arns, a)
	}
	page, next, err := s.ecsPage(arns, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ecs.ListContainerInstancesOutput{ContainerInstanceArns: nonNil(page), NextToken: next}, nil
}

func (s *Sim) ecsDescribeContainerInstances(in *ecs.DescribeContainerInstancesInput) (*ecs.DescribeContainerInstancesOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.ContainerInstances) == 0 {
		return nil, apiErr("InvalidParameterException", "Container instances cannot be empty.")
	}
	if len(in.ContainerInstances) > 100 {
		return nil, apiErr("InvalidParameterException", "instanceIds can have at most 100 items.")
	}
	out := &ecs.DescribeContainerInstancesOutput{ContainerInstances: []types.ContainerInstance{}, Failures: []types.Failure{}}
	tags := hasField(in.Include, "TAGS")
	for _, r := range in.ContainerInstances {
		ci := s.ecsFindInstance(c, r)
		if ci == nil {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(s.ecsCIArn(c, r)), Reason: aws.String("MISSING")})
			continue
		}
		out.ContainerInstances = append(out.ContainerInstances, s.ecsInstanceView(ci, tags))
	}
	return out, nil
}

func (s *Sim) ecsCIArn(c *ecsCluster, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return s.arn("ecs", "container-instance/"+c.Name+"/"+ref)
}

func (s *Sim) ecsUpdateContainerInstancesState(in *ecs.UpdateContainerInstancesStateInput) (*ecs.UpdateContainerInstancesStateOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.ContainerInstances) == 0 {
		return nil, apiErr("InvalidParameterException", "Container instances cannot be empty.")
	}
	if len(in.ContainerInstances) > 10 {
		return nil, apiErr("InvalidParameterException", "containerInstances can have at most 10 items.")
	}
	if in.Status != types.ContainerInstanceStatusActive && in.Status != types.ContainerInstanceStatusDraining {
		return nil, apiErr("InvalidParameterException", "Container instance status can be ACTIVE or DRAINING.")
	}
	out := &ecs.UpdateContainerInstancesStateOutput{ContainerInstances: []types.ContainerInstance{}, Failures: []types.Failure{}}
	for _, r := range in.ContainerInstances {
		ci := s.ecsFindInstance(c, r)
		if ci == nil {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(s.ecsCIArn(c, r)), Reason: aws.String("MISSING")})
			continue
		}
		old := aws.ToString(ci.CI.Status)
		if old == "INACTIVE" {
			out.Failures = append(out.Failures, types.Failure{Arn: ci.CI.ContainerInstanceArn, Reason: aws.String("INACTIVE"),
				Detail: aws.String("The container instance is INACTIVE.")})
			continue
		}
		if old != string(in.Status) {
			ci.CI.Status = aws.String(string(in.Status))
			ci.CI.Version++
			ci.DrainedLogged = false
			s.rec.timeline(s.Now(), "instance-"+strings.ToLower(string(in.Status)), c.Name+": "+aws.ToString(ci.CI.Ec2InstanceId))
			s.ecsKickInstanceServices(ci)
			s.ecsKickCluster(c)
			s.ecsCheckDrained(ci)
		}
		out.ContainerInstances = append(out.ContainerInstances, s.ecsInstanceView(ci, false))
	}
	return out, nil
}

// ecsCheckDrained follows a DRAINING instance: once only daemon tasks are
// left their services are told (daemon tasks stop last), and once no service
// task is left the timeline notes the finished drain.
func (s *Sim) ecsCheckDrained(ci *ecsInstance) {
	if aws.ToString(ci.CI.Status) != "DRAINING" || ci.DrainedLogged {
		return
	}
	var daemons []*ecsService
	for ta := range s.ecs.instTasks[aws.ToString(ci.CI.ContainerInstanceArn)] {
		t := s.ecs.Tasks[ta]
		if t == nil || t.Service == "" {
			continue
		}
		svc := s.ecsTaskService(t)
		if svc == nil || svc.Svc.SchedulingStrategy != types.SchedulingStrategyDaemon {
			return
		}
		daemons = append(daemons, svc)
	}
	if len(daemons) > 0 {
		for _, svc := range daemons {
			s.ecsKickService(svc)
		}
		return
	}
	ci.DrainedLogged = true
	s.rec.timeline(s.Now(), "instance-drained", ci.Cluster+": "+aws.ToString(ci.CI.Ec2InstanceId)+" has no service tasks left")
}

// ---- attributes ----

func (s *Sim) ecsListAttributes(in *ecs.ListAttributesInput) (*ecs.ListAttributesOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.TargetType != types.TargetTypeContainerInstance {
		return nil, apiErr("InvalidParameterException", "targetType must be container-instance.")
	}
	if in.AttributeValue != nil && in.AttributeName == nil {
		return nil, apiErr("InvalidParameterException", "attributeValue may only be specified with attributeName.")
	}
	var all []types.Attribute
	var keys []string
	for _, a := range c.Instances {
		ci := s.ecs.Instances[a]
		if aws.ToString(ci.CI.Status) == "INACTIVE" {
			continue
		}
		for _, at := range ci.CI.Attributes {
			if in.AttributeName != nil && aws.ToString(at.Name) != *in.AttributeName {
				continue
			}
			if in.AttributeValue != nil && aws.ToString(at.Value) != *in.AttributeValue {
				continue
			}
			at.TargetId = aws.String(a)
			at.TargetType = types.TargetTypeContainerInstance
			all = append(all, at)
			keys = append(keys, strconv.Itoa(len(keys)))
		}
	}
	page, next, err := s.ecsPage(keys, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &ecs.ListAttributesOutput{Attributes: []types.Attribute{}, NextToken: next}
	for _, k := range page {
		i, _ := strconv.Atoi(k)
		out.Attributes = append(out.Attributes, all[i])
	}
	return out, nil
}

func (s *Sim) ecsPutAttributes(in *ecs.PutAttributesInput) (*ecs.PutAttributesOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 || len(in.Attributes) > 10 {
		return nil, apiErr("InvalidParameterException", "attributes must have between 1 and 10 items.")
	}
	for _, at := range in.Attributes {
		if aws.ToString(at.Name) == "" || at.TargetType != "" && at.TargetType != types.TargetTypeContainerInstance {
			return nil, apiErr("InvalidParameterException", "Attribute name and a container-instance target are required.")
		}
		if s.ecsFindInstance(c, aws.ToString(at.TargetId)) == nil {
			return nil, apiErr("TargetNotFoundException", "Could not find %s.", aws.ToString(at.TargetId))
		}
	}
	for _, at := range in.Attributes {
		ci := s.ecsFindInstance(c, aws.ToString(at.TargetId))
		set := false
		for i := range ci.CI.Attributes {
			if aws.ToString(ci.CI.Attributes[i].Name) == aws.ToString(at.Name) {
				ci.CI.Attributes[i].Value = at.Value
				set = true
			}
		}
		if !set {
			ci.CI.Attributes = append(ci.CI.Attributes, types.Attribute{Name: at.Name, Value: at.Value})
		}
	}
	return &ecs.PutAttributesOutput{Attributes: in.Attributes}, nil
}

// ---- tags ----

// ecsTagsOf finds the tag list of a resource by ARN.
func (s *Sim) ecsTagsOf(arn string) (*[]types.Tag, error) {
	if !strings.HasPrefix(arn, "arn:aws:ecs:") {
		return nil, apiErr("InvalidParameterException", "Invalid resource arn: %s", arn)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return nil, apiErr("InvalidParameterException", "Invalid resource arn: %s", arn)
	}
	res := parts[5]
	kind, rest, _ := strings.Cut(res, "/")
	notFound := apiErr("ResourceNotFoundException", "The specified resource could not be found.")
	switch kind {
	case "cluster":
		c := s.ecs.Clusters[rest]
		if c == nil {
			return nil, notFound
		}
		return &c.Tags, nil
	case "service":
		cl, name, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, notFound
		}
		c := s.ecs.Clusters[cl]
		if c == nil || c.Services[name] == nil {
			return nil, notFound
		}
		return &c.Services[name].Svc.Tags, nil
	case "task":
		t := s.ecs.Tasks[arn]
		if t == nil {
			return nil, notFound
		}
		return &t.Task.Tags, nil
	case "container-instance":
		in := s.ecs.Instances[arn]
		if in == nil {
			return nil, notFound
		}
		return &in.CI.Tags, nil
	case "task-definition":
		td := s.ecsLookupTaskDef(rest)
		if td == nil {
			return nil, notFound
		}
		return &td.Tags, nil
	case "capacity-provider":
		cp := s.ecs.CapacityProviders[rest]
		if cp == nil {
			return nil, notFound
		}
		return &cp.Tags, nil
	}
	return nil, apiErr("InvalidParameterException", "Invalid resource arn: %s", arn)
}

func (s *Sim) ecsTagResource(in *ecs.TagResourceInput) (*ecs.TagResourceOutput, error) {
	tags, err := s.ecsTagsOf(aws.ToString(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	for _, t := range in.Tags {
		if aws.ToString(t.Key) == "" {
			return nil, apiErr("InvalidParameterException", "Tag keys must not be empty.")
		}
		if strings.HasPrefix(strings.ToLower(aws.ToString(t.Key)), "aws:") {
			return nil, apiErr("InvalidParameterException", "Tag keys may not begin with aws:")
		}
	}
	for _, t := range in.Tags {
		replaced := false
		for i := range *tags {
			if aws.ToString((*tags)[i].Key) == aws.ToString(t.Key) {
				(*tags)[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			*tags = append(*tags, types.Tag{Key: t.Key, Value: t.Value})
		}
	}
	if len(*tags) > 50 {
		return nil, apiErr("InvalidParameterException", "A resource can have at most 50 tags.")
	}
	return &ecs.TagResourceOutput{}, nil
}

func (s *Sim) ecsUntagResource(in *ecs.UntagResourceInput) (*ecs.UntagResourceOutput, error) {
	tags, err := s.ecsTagsOf(aws.ToString(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		drop[k] = true
	}
	kept := (*tags)[:0]
	for _, t := range *tags {
		if !drop[aws.ToString(t.Key)] {
			kept = append(kept, t)
		}
	}
	*tags = kept
	return &ecs.UntagResourceOutput{}, nil
}

func (s *Sim) ecsListTagsForResource(in *ecs.ListTagsForResourceInput) (*ecs.ListTagsForResourceOutput, error) {
	tags, err := s.ecsTagsOf(aws.ToString(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	out := copyTags(*tags)
	if out == nil {
		out = []types.Tag{}
	}
	return &ecs.ListTagsForResourceOutput{Tags: out}, nil
}

// ---- capacity providers ----

func (s *Sim) ecsDescribeCapacityProviders(in *ecs.DescribeCapacityProvidersInput) (*ecs.DescribeCapacityProvidersOutput, error) {
	var names []string
	out := &ecs.DescribeCapacityProvidersOutput{CapacityProviders: []types.CapacityProvider{}, Failures: []types.Failure{}}
	if len(in.CapacityProviders) > 0 {
		if len(in.CapacityProviders) > 100 {
			return nil, apiErr("InvalidParameterException", "capacityProviders can have at most 100 items.")
		}
		for _, r := range in.CapacityProviders {
			n := lastPart(r)
			if n == "FARGATE" || n == "FARGATE_SPOT" {
				names = append(names, n)
				continue
			}
			if s.ecs.CapacityProviders[n] == nil {
				out.Failures = append(out.Failures, types.Failure{Arn: aws.String(s.arn("ecs", "capacity-provider/"+n)), Reason: aws.String("MISSING")})
				continue
			}
			names = append(names, n)
		}
	} else {
		names = append([]string{"FARGATE", "FARGATE_SPOT"}, sortedKeys(s.ecs.CapacityProviders)...)
	}
	page, next, err := s.ecsPageN(names, in.NextToken, in.MaxResults, 10, 10)
	if err != nil {
		return nil, err
	}
	tags := hasField(in.Include, "TAGS")
	for _, n := range page {
		cp, ok := s.ecs.CapacityProviders[n]
		if !ok {
			out.CapacityProviders = append(out.CapacityProviders, types.CapacityProvider{
				Name: aws.String(n), Status: types.CapacityProviderStatusActive, Type: types.CapacityProviderType(n),
				CapacityProviderArn: aws.String(s.arn("ecs", "capacity-provider/"+n)),
			})
			continue
		}
		v := *cp
		if !tags {
			v.Tags = nil
		} else {
			v.Tags = copyTags(cp.Tags)
		}
		out.CapacityProviders = append(out.CapacityProviders, v)
	}
	out.NextToken = next
	return out, nil
}
