package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

func apiErrCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func manyServicesWorld(n int) *World {
	c := ClusterSpec{Name: "prod", Tags: map[string]string{"team": "core"}}
	for i := 0; i < n; i++ {
		c.Services = append(c.Services, ServiceSpec{
			Name: fmt.Sprintf("svc%02d", i), Desired: 1, Tags: map[string]string{"app": fmt.Sprintf("svc%02d", i)},
			Containers: []ContainerSpec{{Name: "app", Image: "app:v1", CPU: 64, Memory: 64}},
		})
	}
	return &World{Clusters: []ClusterSpec{c}}
}

func TestECSBatchLimits(t *testing.T) {
	s := newTestSim(t, Options{}, manyServicesWorld(12), spreadInstances(3, 2, 8192))
	names := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("svc%02d", i))
		}
		return out
	}
	ids := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("%032x", i))
		}
		return out
	}
	prod := aws.String("prod")
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"DescribeServices 10", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeServices, &ecs.DescribeServicesInput{Cluster: prod, Services: names(10)})
			return err
		}, ""},
		{"DescribeServices 11", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeServices, &ecs.DescribeServicesInput{Cluster: prod, Services: names(11)})
			return err
		}, "InvalidParameterException"},
		{"DescribeTasks 100", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: prod, Tasks: ids(100)})
			return err
		}, ""},
		{"DescribeTasks 101", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: prod, Tasks: ids(101)})
			return err
		}, "InvalidParameterException"},
		{"DescribeContainerInstances 101", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: prod, ContainerInstances: ids(101)})
			return err
		}, "InvalidParameterException"},
		{"UpdateContainerInstancesState 11", func() error {
			_, err := lockedCall(s, (*Sim).ecsUpdateContainerInstancesState, &ecs.UpdateContainerInstancesStateInput{Cluster: prod, ContainerInstances: ids(11), Status: types.ContainerInstanceStatusDraining})
			return err
		}, "InvalidParameterException"},
		{"UpdateContainerInstancesState INACTIVE", func() error {
			_, err := lockedCall(s, (*Sim).ecsUpdateContainerInstancesState, &ecs.UpdateContainerInstancesStateInput{Cluster: prod, ContainerInstances: ids(1), Status: "INACTIVE"})
			return err
		}, "InvalidParameterException"},
		{"DescribeClusters 101", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeClusters, &ecs.DescribeClustersInput{Clusters: ids(101)})
			return err
		}, "InvalidParameterException"},
		{"ListServices maxResults 101", func() error {
			_, err := lockedCall(s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: prod, MaxResults: aws.Int32(101)})
			return err
		}, "InvalidParameterException"},
		{"ListServices bad token", func() error {
			_, err := lockedCall(s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: prod, NextToken: aws.String("garbage")})
			return err
		}, "InvalidParameterException"},
		{"unknown cluster", func() error {
			_, err := lockedCall(s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: aws.String("nope")})
			return err
		}, "ClusterNotFoundException"},
		{"UpdateService unknown", func() error {
			_, err := lockedCall(s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: prod, Service: aws.String("nope"), ForceNewDeployment: true})
			return err
		}, "ServiceNotFoundException"},
		{"UpdateService unknown task definition", func() error {
			_, err := lockedCall(s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: prod, Service: aws.String("svc00"), TaskDefinition: aws.String("nope:9")})
			return err
		}, "ClientException"},
		{"DescribeTaskDefinition unknown", func() error {
			_, err := lockedCall(s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("svc00:7")})
			return err
		}, "ClientException"},
		{"ListContainerInstances bad filter", func() error {
			_, err := lockedCall(s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: prod, Filter: aws.String("attribute:ecs.ami-id ~~ x")})
			return err
		}, "InvalidParameterException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if got := apiErrCode(err); got != tc.wantErr {
				t.Fatalf("error %v, want code %q", err, tc.wantErr)
			}
		})
	}
}

func TestECSPaging(t *testing.T) {
	s := newTestSim(t, Options{PageSize: 5}, manyServicesWorld(12), spreadInstances(7, 2, 8192))
	prod := aws.String("prod")
	collect := func(list func(tok *string) ([]string, *string)) []string {
		var all []string
		var tok *string
		for pages := 0; pages < 20; pages++ {
			items, next := list(tok)
			if len(items) > 5 {
				t.Fatalf("page of %d items, page size 5", len(items))
			}
			all = append(all, items...)
			if next == nil {
				return all
			}
			tok = next
		}
		t.Fatal("paging never ended")
		return nil
	}
	tests := []struct {
		name string
		want int
		list func(tok *string) ([]string, *string)
	}{
		{"ListServices", 12, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: prod, NextToken: tok})
			return o.ServiceArns, o.NextToken
		}},
		{"ListTasks", 12, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: prod, NextToken: tok})
			return o.TaskArns, o.NextToken
		}},
		{"ListContainerInstances", 7, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: prod, NextToken: tok})
			return o.ContainerInstanceArns, o.NextToken
		}},
		{"ListTaskDefinitions", 12, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListTaskDefinitions, &ecs.ListTaskDefinitionsInput{NextToken: tok})
			return o.TaskDefinitionArns, o.NextToken
		}},
		{"ListTaskDefinitionFamilies", 12, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListTaskDefinitionFamilies, &ecs.ListTaskDefinitionFamiliesInput{NextToken: tok})
			return o.Families, o.NextToken
		}},
		{"ListAttributes ecs.ami-id", 7, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListAttributes, &ecs.ListAttributesInput{Cluster: prod, TargetType: types.TargetTypeContainerInstance,
				AttributeName: aws.String("ecs.ami-id"), NextToken: tok})
			var ids []string
			for _, a := range o.Attributes {
				ids = append(ids, aws.ToString(a.TargetId))
			}
			return ids, o.NextToken
		}},
		{"ListTasks family", 1, func(tok *string) ([]string, *string) {
			o := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: prod, Family: aws.String("svc03"), NextToken: tok})
			return o.TaskArns, o.NextToken
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			all := collect(tc.list)
			seen := map[string]bool{}
			for _, a := range all {
				if seen[a] {
					t.Fatalf("%s listed twice", a)
				}
				seen[a] = true
			}
			if len(all) != tc.want {
				t.Fatalf("%d items, want %d", len(all), tc.want)
			}
		})
	}
}

func TestECSDescribeServicesMissingAndTags(t *testing.T) {
	s := newTestSim(t, Options{}, manyServicesWorld(2), spreadInstances(2, 2, 8192))
	out := mustCall(t, s, (*Sim).ecsDescribeServices, &ecs.DescribeServicesInput{Cluster: aws.String("prod"),
		Services: []string{"svc00", "ghost", "arn:aws:ecs:us-east-1:123456789012:service/prod/svc01"}, Include: []types.ServiceField{types.ServiceFieldTags}})
	if len(out.Services) != 2 || len(out.Failures) != 1 {
		t.Fatalf("services %d failures %+v", len(out.Services), out.Failures)
	}
	f := out.Failures[0]
	if aws.ToString(f.Reason) != "MISSING" || aws.ToString(f.Arn) != "arn:aws:ecs:us-east-1:123456789012:service/prod/ghost" {
		t.Fatalf("failure: %s %s", aws.ToString(f.Arn), aws.ToString(f.Reason))
	}
	if len(out.Services[0].Tags) != 1 || aws.ToString(out.Services[0].Tags[0].Key) != "app" {
		t.Fatalf("tags: %+v", out.Services[0].Tags)
	}
	plain := describeService(t, s, "svc00")
	if plain.Tags != nil {
		t.Fatalf("tags without include: %+v", plain.Tags)
	}
	cl := mustCall(t, s, (*Sim).ecsDescribeClusters, &ecs.DescribeClustersInput{Clusters: []string{"prod", "gone"},
		Include: []types.ClusterField{types.ClusterFieldStatistics, types.ClusterFieldTags}})
	if len(cl.Clusters) != 1 || len(cl.Failures) != 1 || aws.ToString(cl.Failures[0].Reason) != "MISSING" {
		t.Fatalf("clusters: %+v", cl)
	}
	c := cl.Clusters[0]
	if c.RegisteredContainerInstancesCount != 2 || c.RunningTasksCount != 2 || c.ActiveServicesCount != 2 || len(c.Tags) != 1 || len(c.Statistics) == 0 {
		t.Fatalf("cluster: %+v", c)
	}
}

func TestECSContainerInstanceFilter(t *testing.T) {
	insts := spreadInstances(4, 2, 8192)
	insts[3].ami = "ami-0new"
	s := newTestSim(t, Options{}, manyServicesWorld(1), insts)
	tests := []struct {
		filter string
		want   int
	}{
		{"attribute:ecs.ami-id == ami-0old", 3},
		{"attribute:ecs.ami-id != ami-0old", 1},
		{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", 3},
		{"ec2InstanceId in [i-00000000000000001, i-00000000000000004]", 2},
		{"attribute:ecs.ami-id == ami-0old and attribute:ecs.availability-zone == us-east-1a", 1},
		{"attribute:ecs.ami-id == ami-0new or attribute:ecs.availability-zone == us-east-1b", 2},
		{"attribute:ecs.instance-type exists", 4},
		{"agentConnected == true", 4},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			out := mustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod"), Filter: aws.String(tc.filter)})
			if len(out.ContainerInstanceArns) != tc.want {
				t.Fatalf("%d instances, want %d", len(out.ContainerInstanceArns), tc.want)
			}
		})
	}
	d := mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"),
		ContainerInstances: []string{"ghost"}})
	if len(d.Failures) != 1 || aws.ToString(d.Failures[0].Reason) != "MISSING" {
		t.Fatalf("failures: %+v", d.Failures)
	}
	all := mustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod")})
	ci := mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"),
		ContainerInstances: all.ContainerInstanceArns}).ContainerInstances
	var reg, rem int32
	for _, r := range ci[0].RegisteredResources {
		if aws.ToString(r.Name) == "CPU" {
			reg = r.IntegerValue
		}
	}
	for _, c := range ci {
		for _, r := range c.RemainingResources {
			if aws.ToString(r.Name) == "CPU" {
				rem += reg - r.IntegerValue
			}
		}
	}
	if reg != 2048 || rem != 64 {
		t.Fatalf("registered CPU %d (want 2048), reserved across instances %d (want 64)", reg, rem)
	}
}

func TestECSTaskDefinitionsAndTags(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(1, true, nil, nil, nil), spreadInstances(1, 2, 8192))
	d := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api"), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	td := d.TaskDefinition
	if td.Revision != 3 || td.Status != types.TaskDefinitionStatusActive || d.Tags == nil {
		t.Fatalf("live revision: %d %s tags %v", td.Revision, td.Status, d.Tags)
	}
	lc := td.ContainerDefinitions[0].LogConfiguration
	if lc == nil || lc.Options["awslogs-group"] != "/ecs/prod/api" || lc.Options["awslogs-stream-prefix"] != "ecs" || lc.Options["awslogs-region"] != "us-east-1" {
		t.Fatalf("log configuration: %+v", lc)
	}
	old := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:1")}).TaskDefinition
	if aws.ToString(old.ContainerDefinitions[0].Image) == aws.ToString(td.ContainerDefinitions[0].Image) {
		t.Fatal("older revisions should carry another image tag")
	}
	var names []string
	for _, a := range td.RequiresAttributes {
		names = append(names, aws.ToString(a.Name))
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "ecs.capability.execution-role-awslogs") || !strings.Contains(got, "com.amazonaws.ecs.capability.ecr-auth") {
		t.Fatalf("requiresAttributes: %s", got)
	}
	reg := mustCall(t, s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("api"), ContainerDefinitions: td.ContainerDefinitions, ExecutionRoleArn: td.ExecutionRoleArn,
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}},
	})
	if reg.TaskDefinition.Revision != 4 || aws.ToString(reg.TaskDefinition.ExecutionRoleArn) != aws.ToString(td.ExecutionRoleArn) || len(reg.Tags) != 1 {
		t.Fatalf("registered: %+v", reg.TaskDefinition)
	}
	if _, err := lockedCall(s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{Family: aws.String("x"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("a:1")}}}); apiErrCode(err) != "ClientException" {
		t.Fatalf("no memory: %v", err)
	}
	dr := mustCall(t, s, (*Sim).ecsDeregisterTaskDefinition, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("api:1")})
	if dr.TaskDefinition.Status != types.TaskDefinitionStatusInactive {
		t.Fatalf("deregistered: %s", dr.TaskDefinition.Status)
	}
	if got := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:1")}); got.TaskDefinition.Status != types.TaskDefinitionStatusInactive {
		t.Fatal("an INACTIVE revision stays describable")
	}
	l := mustCall(t, s, (*Sim).ecsListTaskDefinitions, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("api"), Sort: types.SortOrderDesc})
	if len(l.TaskDefinitionArns) != 3 || !strings.HasSuffix(l.TaskDefinitionArns[0], ":4") {
		t.Fatalf("list: %v", l.TaskDefinitionArns)
	}
	// Tags on every kind of resource.
	svc := describeService(t, s, "api")
	task := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod")}).TaskArns[0]
	ci := mustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod")}).ContainerInstanceArns[0]
	for _, arn := range []string{aws.ToString(svc.ClusterArn), aws.ToString(svc.ServiceArn), task, ci, aws.ToString(reg.TaskDefinition.TaskDefinitionArn)} {
		mustCall(t, s, (*Sim).ecsTagResource, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		got := mustCall(t, s, (*Sim).ecsListTagsForResource, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}).Tags
		found := false
		for _, tg := range got {
			found = found || aws.ToString(tg.Key) == "k"
		}
		if !found {
			t.Fatalf("%s: tag not set: %+v", arn, got)
		}
		mustCall(t, s, (*Sim).ecsUntagResource, &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k"}})
		for _, tg := range mustCall(t, s, (*Sim).ecsListTagsForResource, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}).Tags {
			if aws.ToString(tg.Key) == "k" {
				t.Fatalf("%s: tag not removed", arn)
			}
		}
	}
	// The target group of the load-balanced service.
	lb := svc.LoadBalancers[0]
	tgs := mustCall(t, s, (*Sim).elbDescribeTargetGroups, &elb.DescribeTargetGroupsInput{Names: []string{"prod-api"}})
	if len(tgs.TargetGroups) != 1 || aws.ToString(tgs.TargetGroups[0].TargetGroupArn) != aws.ToString(lb.TargetGroupArn) ||
		!strings.HasPrefix(aws.ToString(lb.TargetGroupArn), "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-api/") {
		t.Fatalf("target groups: %+v", tgs.TargetGroups)
	}
	th := mustCall(t, s, (*Sim).elbDescribeTargetHealth, &elb.DescribeTargetHealthInput{TargetGroupArn: lb.TargetGroupArn})
	if len(th.TargetHealthDescriptions) != 1 || th.TargetHealthDescriptions[0].TargetHealth.State != "healthy" {
		t.Fatalf("target health: %+v", th.TargetHealthDescriptions)
	}
	if _, err := lockedCall(s, (*Sim).elbDescribeTargetGroups, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}}); apiErrCode(err) != "TargetGroupNotFound" {
		t.Fatalf("unknown target group: %v", err)
	}
}

func TestECSListServicesDefaultPage(t *testing.T) {
	s := newTestSim(t, Options{}, manyServicesWorld(12), spreadInstances(2, 2, 8192))
	first := mustCall(t, s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if len(first.ServiceArns) != 10 || first.NextToken == nil {
		t.Fatalf("without maxResults ListServices returns 10 and a token: %d %v", len(first.ServiceArns), first.NextToken)
	}
	rest := mustCall(t, s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: aws.String("prod"), NextToken: first.NextToken})
	if len(rest.ServiceArns) != 2 || rest.NextToken != nil {
		t.Fatalf("second page: %d %v", len(rest.ServiceArns), rest.NextToken)
	}
	all := mustCall(t, s, (*Sim).ecsListServices, &ecs.ListServicesInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(100)})
	if len(all.ServiceArns) != 12 || all.NextToken != nil {
		t.Fatalf("maxResults 100: %d", len(all.ServiceArns))
	}
}
