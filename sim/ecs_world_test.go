package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

const worldJSON = `{
  "launchTemplates": [{"name": "prod-lt", "versions": [{"imageId": "ami-0old", "instanceType": "m5.large", "cluster": "prod"}]}],
  "autoScalingGroups": [{"name": "prod-asg", "launchTemplate": "prod-lt", "min": 2, "max": 6, "desired": 2,
    "capacityProvider": {"name": "prod-cp", "managedScaling": true, "targetCapacity": 90, "managedTerminationProtection": true}}],
  "clusters": [{
    "name": "prod", "tags": {"env": "prod"},
    "services": [
      {"name": "web", "family": "web-td", "revision": 2, "desired": 2, "loadBalanced": true, "cpu": 256, "memory": 512,
       "circuitBreaker": {"enable": true, "rollback": true},
       "containers": [
         {"name": "web", "image": "web:1.2.0", "ports": [8080], "environment": {"MODE": "prod"},
          "secrets": {"DB_PASSWORD": "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db"}, "dependsOn": ["envoy"]},
         {"name": "envoy", "image": "public.ecr.aws/envoy/envoy:v1.29", "essential": false, "logDriver": "fluentd"}
       ]},
      {"name": "grpc", "desired": 1, "loadBalanced": true, "networkMode": "awsvpc", "cpu": 256, "memory": 256,
       "containers": [{"name": "grpc", "image": "grpc:3", "ports": [9000]}]}
    ],
    "tasks": [{"family": "cron", "count": 2, "containers": [{"name": "cron", "image": "cron:7", "memory": 128}]}]
  }]
}`

func TestECSWorldFromJSON(t *testing.T) {
	w, err := ParseWorld([]byte(worldJSON))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSim(t, Options{}, w, spreadInstances(2, 2, 8192))
	td := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web-td")}).TaskDefinition
	web, envoy := td.ContainerDefinitions[0], td.ContainerDefinitions[1]
	if td.Revision != 2 || aws.ToString(td.Cpu) != "256" || aws.ToString(td.Memory) != "512" ||
		aws.ToString(web.Image) != "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.2.0" ||
		len(web.Secrets) != 1 || len(web.Environment) != 1 || len(web.DependsOn) != 1 || aws.ToBool(envoy.Essential) ||
		envoy.LogConfiguration.LogDriver != "fluentd" || aws.ToString(envoy.Image) != "public.ecr.aws/envoy/envoy:v1.29" ||
		aws.ToString(td.ExecutionRoleArn) == "" || aws.ToInt32(web.PortMappings[0].ContainerPort) != 8080 {
		t.Fatalf("task definition: %+v", td)
	}
	svc := describeService(t, s, "web")
	if svc.RunningCount != 2 || len(svc.LoadBalancers) != 1 || !svc.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback {
		t.Fatalf("service: %+v", svc)
	}
	cron := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), Family: aws.String("cron")})
	if len(cron.TaskArns) != 2 {
		t.Fatalf("standalone tasks: %d", len(cron.TaskArns))
	}
	cps := mustCall(t, s, (*Sim).ecsDescribeCapacityProviders, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{"prod-cp", "ghost"}})
	if len(cps.CapacityProviders) != 1 || len(cps.Failures) != 1 {
		t.Fatalf("capacity providers: %+v", cps)
	}
	cp := cps.CapacityProviders[0]
	if p := cp.AutoScalingGroupProvider; p == nil || !strings.HasSuffix(aws.ToString(p.AutoScalingGroupArn), ":autoScalingGroupName/prod-asg") ||
		p.ManagedTerminationProtection != types.ManagedTerminationProtectionEnabled || aws.ToInt32(p.ManagedScaling.TargetCapacity) != 90 {
		t.Fatalf("capacity provider: %+v", cp.AutoScalingGroupProvider)
	}
	cl := mustCall(t, s, (*Sim).ecsDescribeClusters, &ecs.DescribeClustersInput{Clusters: []string{"prod"}}).Clusters[0]
	if len(cl.CapacityProviders) != 1 || cl.RunningTasksCount != 5 {
		t.Fatalf("cluster: %+v", cl)
	}
	ci := mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: instanceArns(t, s)[:1]})
	if aws.ToString(ci.ContainerInstances[0].CapacityProviderName) != "prod-cp" {
		t.Fatalf("instance capacity provider: %v", ci.ContainerInstances[0].CapacityProviderName)
	}
	// An awsvpc task has its own interface, and its target is its address.
	g := describeService(t, s, "grpc")
	gl := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("grpc")})
	gt := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: gl.TaskArns}).Tasks[0]
	if len(gt.Attachments) != 1 || aws.ToString(gt.Attachments[0].Type) != "ElasticNetworkInterface" || len(gt.Containers[0].NetworkInterfaces) != 1 {
		t.Fatalf("awsvpc task: %+v", gt.Attachments)
	}
	ip := aws.ToString(gt.Containers[0].NetworkInterfaces[0].PrivateIpv4Address)
	th := mustCall(t, s, (*Sim).elbDescribeTargetHealth, &elb.DescribeTargetHealthInput{TargetGroupArn: g.LoadBalancers[0].TargetGroupArn})
	if len(th.TargetHealthDescriptions) != 1 || aws.ToString(th.TargetHealthDescriptions[0].Target.Id) != ip || aws.ToInt32(th.TargetHealthDescriptions[0].Target.Port) != 9000 {
		t.Fatalf("awsvpc target: %+v (task address %s)", th.TargetHealthDescriptions[0].Target, ip)
	}
	// The account survives a save and load with everything in it.
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	again := describeService(t, s2, "web")
	if again.RunningCount != 2 || aws.ToString(again.Deployments[0].Id) != aws.ToString(svc.Deployments[0].Id) {
		t.Fatalf("after load: %+v", again.Deployments)
	}
	// The loaded account keeps working: stop a task by hand, it is replaced.
	l := mustCall(t, s2, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("web")})
	mustCall(t, s2, (*Sim).ecsStopTaskOp, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(l.TaskArns[0])})
	if !s2.RunUntil(20*time.Minute, 5*time.Second, serviceDone(s2, "web")) {
		t.Fatal("not replaced after load")
	}
}

func TestECSInactiveInstanceForgotten(t *testing.T) {
	s := newTestSim(t, Options{}, manyServicesWorld(1), spreadInstances(2, 2, 8192))
	cis := instanceArns(t, s)
	id := aws.ToString(s.ecs.Instances[cis[1]].CI.Ec2InstanceId)
	s.mu.Lock()
	s.ecsInstanceGone(id)
	s.mu.Unlock()
	if _, err := lockedCall(s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("prod"), Status: "INACTIVE"}); apiErrCode(err) != "InvalidParameterException" {
		t.Fatalf("INACTIVE is not a status filter: %v", err)
	}
	if l := instanceArns(t, s); len(l) != 1 {
		t.Fatalf("listed: %v", l)
	}
	d := mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: cis[1:]})
	if len(d.ContainerInstances) != 1 || aws.ToString(d.ContainerInstances[0].Status) != "INACTIVE" {
		t.Fatalf("inactive instance: %+v", d)
	}
	s.Advance(2 * time.Hour)
	d = mustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: cis})
	if len(d.ContainerInstances) != 1 || len(d.Failures) != 1 {
		t.Fatalf("after an hour: %d described, %d failures", len(d.ContainerInstances), len(d.Failures))
	}
}

func TestECSWorldErrors(t *testing.T) {
	app := []ContainerSpec{{Name: "app", Image: "app:1", Memory: 64}}
	tests := []struct {
		name string
		w    World
		want string
	}{
		{"duplicate cluster", World{Clusters: []ClusterSpec{{Name: "a"}, {Name: "a"}}}, `cluster "a" listed twice`},
		{"duplicate service", World{Clusters: []ClusterSpec{{Name: "a", Services: []ServiceSpec{{Name: "s", Containers: app}, {Name: "s", Containers: app}}}}}, `service "s" listed twice`},
		{"network mode", World{Clusters: []ClusterSpec{{Name: "a", Services: []ServiceSpec{{Name: "s", NetworkMode: "nat", Containers: app}}}}}, `networkMode "nat"`},
		{"no containers", World{Clusters: []ClusterSpec{{Name: "a", Services: []ServiceSpec{{Name: "s"}}}}}, "no containers"},
		{"lb without port", World{Clusters: []ClusterSpec{{Name: "a", Services: []ServiceSpec{{Name: "s", LoadBalanced: true, Containers: app}}}}}, "loadBalanced needs a port"},
		{"bad memberOf", World{Clusters: []ClusterSpec{{Name: "a", Services: []ServiceSpec{{Name: "s", Containers: app,
			PlacementConstraints: []PlacementConstraintSpec{{Type: "memberOf", Expression: "attribute:x =~ y"}}}}}}}, "is not valid"},
		{"capacity provider cluster", World{
			LaunchTemplates:   []LaunchTemplateSpec{{Name: "lt", Versions: []LaunchTemplateVersionSpec{{ImageID: "ami-1", InstanceType: "m5.large", Cluster: "other"}}}},
			AutoScalingGroups: []ASGSpec{{Name: "g", LaunchTemplate: "lt", CapacityProvider: &CapacityProviderSpec{Name: "cp"}}},
			Clusters:          []ClusterSpec{{Name: "a"}},
		}, `cluster "other", which the world does not define`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{ManualClock: true, Start: testStart})
			err := s.LoadWorld(&tc.w)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
