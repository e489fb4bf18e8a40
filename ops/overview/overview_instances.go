package overview

import (
	"context"
	"ecsctl/ops/awsapi"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// AMI states of an instance against its Auto Scaling group's launch template.
const (
	InstanceAMICurrent = "current" // the AMI the ASG launches now
	InstanceAMIOld     = "old"     // another AMI: due for rotation
	InstanceAMIUnknown = "unknown" // no ASG, or its target could not be read
)

// InstanceRow is one line of `ecsctl instances`.
type InstanceRow struct {
	Cluster              string    `json:"cluster"`
	ContainerInstanceArn string    `json:"containerInstanceArn"`
	InstanceID           string    `json:"instanceId"`
	AZ                   string    `json:"availabilityZone"`
	Type                 string    `json:"instanceType"`
	AMI                  string    `json:"ami"`
	TargetAMI            string    `json:"targetAmi,omitempty"`
	AMIState             string    `json:"amiState"`
	ASG                  string    `json:"autoScalingGroup,omitempty"`
	Status               string    `json:"status"`
	AgentConnected       bool      `json:"agentConnected"`
	AgentVersion         string    `json:"agentVersion"`
	RunningTasks         int       `json:"runningTasks"`
	PendingTasks         int       `json:"pendingTasks"`
	CPURegistered        int       `json:"cpuRegistered"`
	CPUReserved          int       `json:"cpuReserved"`
	CPUFree              int       `json:"cpuFree"`
	MemoryRegistered     int       `json:"memoryRegistered"`
	MemoryReserved       int       `json:"memoryReserved"`
	MemoryFree           int       `json:"memoryFree"`
	LaunchedAt           time.Time `json:"launchedAt"`
	AgeSeconds           int64     `json:"ageSeconds"`
	// Attributes are the container instance's attributes (for placement).
	Attributes map[string]string `json:"-"`
}

// Instances reads every container instance of a cluster with its EC2
// launch time and the AMI its Auto Scaling group launches now, sorted by
// AZ then instance id. Calls: ceil(n/100) List + ceil(n/100) Describe
// container instances, ceil(n/100) DescribeInstances, the ASG pages and one
// DescribeLaunchTemplateVersions per launch template in use.
func (o *Reader) Instances(ctx context.Context, cluster string) ([]InstanceRow, error) {
	if _, err := o.describeCluster(ctx, cluster); err != nil {
		return nil, err
	}
	cis, err := o.containerInstances(ctx, cluster)
	if err != nil {
		return nil, err
	}
	now := o.now()
	rows := make([]InstanceRow, len(cis))
	var ids []string
	for i, ci := range cis {
		r := overviewResources(ci)
		row := InstanceRow{
			Cluster: cluster, ContainerInstanceArn: aws.ToString(ci.ContainerInstanceArn), InstanceID: aws.ToString(ci.Ec2InstanceId),
			AZ: overviewAttr(ci, "ecs.availability-zone"), Type: overviewAttr(ci, "ecs.instance-type"), AMI: overviewAttr(ci, "ecs.ami-id"),
			AMIState: InstanceAMIUnknown, Status: aws.ToString(ci.Status), AgentConnected: ci.AgentConnected,
			RunningTasks: int(ci.RunningTasksCount), PendingTasks: int(ci.PendingTasksCount),
			CPURegistered: r.cpuReg, CPUFree: r.cpuFree, CPUReserved: r.cpuReg - r.cpuFree,
			MemoryRegistered: r.memReg, MemoryFree: r.memFree, MemoryReserved: r.memReg - r.memFree,
			Attributes: map[string]string{},
		}
		for _, a := range ci.Attributes {
			row.Attributes[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		if ci.VersionInfo != nil {
			row.AgentVersion = aws.ToString(ci.VersionInfo.AgentVersion)
		}
		if ci.RegisteredAt != nil {
			row.LaunchedAt = ci.RegisteredAt.UTC()
		}
		rows[i] = row
		if row.InstanceID != "" {
			ids = append(ids, row.InstanceID)
		}
	}
	if o.EC2 != nil {
		launched, err := o.launchTimes(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			if t, ok := launched[rows[i].InstanceID]; ok {
				rows[i].LaunchedAt = t
			}
		}
	}
	if o.ASG != nil && o.EC2 != nil {
		targets, err := o.asgTargets(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			t, ok := targets[rows[i].InstanceID]
			if !ok {
				continue
			}
			rows[i].ASG, rows[i].TargetAMI = t.asg, t.ami
			switch {
			case t.ami == "" || rows[i].AMI == "":
			case t.ami == rows[i].AMI:
				rows[i].AMIState = InstanceAMICurrent
			default:
				rows[i].AMIState = InstanceAMIOld
			}
		}
	}
	for i := range rows {
		if !rows[i].LaunchedAt.IsZero() {
			rows[i].AgeSeconds = int64(now.Sub(rows[i].LaunchedAt) / time.Second)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].AZ != rows[j].AZ {
			return rows[i].AZ < rows[j].AZ
		}
		return rows[i].InstanceID < rows[j].InstanceID
	})
	return rows, nil
}

// launchTimes reads EC2 launch times, 100 instance ids per call.
func (o *Reader) launchTimes(ctx context.Context, ids []string) (map[string]time.Time, error) {
	chunks := overviewChunks(ids, 100)
	parts := make([]map[string]time.Time, len(chunks))
	err := overviewParallel(ctx, len(chunks), o.limit(), func(ctx context.Context, i int) error {
		m := map[string]time.Time{}
		p := ec2.NewDescribeInstancesPaginator(o.EC2, &ec2.DescribeInstancesInput{InstanceIds: chunks[i]})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe EC2 instances %s…: %w", chunks[i][0], err)
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					if in.LaunchTime != nil {
						m[aws.ToString(in.InstanceId)] = in.LaunchTime.UTC()
					}
				}
			}
		}
		parts[i] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	all := map[string]time.Time{}
	for _, m := range parts {
		for k, v := range m {
			all[k] = v
		}
	}
	return all, nil
}

type overviewASGTarget struct{ asg, ami string }

// asgTargets maps instance ids to their Auto Scaling group and the AMI that
// group's launch template version launches now.
func (o *Reader) asgTargets(ctx context.Context, ids []string) (map[string]overviewASGTarget, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	type ltRef struct{ id, name, version string }
	groups := map[string]ltRef{}
	member := map[string]string{} // instance → group
	all, err := awsapi.NewAutoScaling(o.ASG).AllGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		name := aws.ToString(g.AutoScalingGroupName)
		used := false
		for _, in := range g.Instances {
			if want[aws.ToString(in.InstanceId)] {
				member[aws.ToString(in.InstanceId)] = name
				used = true
			}
		}
		if !used {
			continue
		}
		lt := g.LaunchTemplate
		if lt == nil && g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil {
			lt = g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
		}
		if lt != nil {
			v := aws.ToString(lt.Version)
			if v == "" {
				v = "$Default"
			}
			groups[name] = ltRef{aws.ToString(lt.LaunchTemplateId), aws.ToString(lt.LaunchTemplateName), v}
		}
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	amis := make([]string, len(names))
	err = overviewParallel(ctx, len(names), o.limit(), func(ctx context.Context, i int) error {
		ref := groups[names[i]]
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{ref.version}}
		if ref.id != "" {
			in.LaunchTemplateId = aws.String(ref.id)
		} else {
			in.LaunchTemplateName = aws.String(ref.name)
		}
		out, err := o.EC2.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil {
			return fmt.Errorf("describe launch template of auto scaling group %s: %w", names[i], err)
		}
		if len(out.LaunchTemplateVersions) > 0 {
			if d := out.LaunchTemplateVersions[0].LaunchTemplateData; d != nil && !strings.HasPrefix(aws.ToString(d.ImageId), "resolve:") {
				amis[i] = aws.ToString(d.ImageId)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ami := map[string]string{}
	for i, n := range names {
		ami[n] = amis[i]
	}
	out := map[string]overviewASGTarget{}
	for id, g := range member {
		out[id] = overviewASGTarget{asg: g, ami: ami[g]}
	}
	return out, nil
}
