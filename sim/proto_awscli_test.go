package sim

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestAWSCLIAgainstServer runs the AWS CLI (if installed, and only with
// SANDBOX_AWSCLI=1: it is slow) against the server: a second, independent
// client implementation of the same protocols.
func TestAWSCLIAgainstServer(t *testing.T) {
	if os.Getenv("SANDBOX_AWSCLI") != "1" {
		t.Skip("set SANDBOX_AWSCLI=1 to run the AWS CLI against the server")
	}
	awsPath := awsCLI(t)
	env := newTestEnv(t, 1)
	var gotECS *ecs.ListClustersInput
	Handle(env.reg, SvcECS, "ListClusters", func(s *Sim, in *ecs.ListClustersInput) (*ecs.ListClustersOutput, error) {
		gotECS = in
		return &ecs.ListClustersOutput{ClusterArns: []string{"arn:aws:ecs:us-east-1:123456789012:cluster/prod"}}, nil
	})
	ecsDS := filled[ecs.DescribeServicesOutput]()
	Handle(env.reg, SvcECS, "DescribeServices", func(s *Sim, in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		return ecsDS, nil
	})
	asgOut := filled[autoscaling.DescribeAutoScalingGroupsOutput]()
	asgOut.NextToken = nil
	Handle(env.reg, SvcAutoScaling, "DescribeAutoScalingGroups", func(s *Sim, in *autoscaling.DescribeAutoScalingGroupsInput) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
		return asgOut, nil
	})
	var gotEC2 *ec2.DescribeInstancesInput
	ec2Out := filled[ec2.DescribeInstancesOutput]()
	ec2Out.NextToken = nil
	Handle(env.reg, SvcEC2, "DescribeInstances", func(s *Sim, in *ec2.DescribeInstancesInput) (*ec2.DescribeInstancesOutput, error) {
		gotEC2 = in
		return ec2Out, nil
	})
	var gotCW *cloudwatch.GetMetricDataInput
	cwOut := filled[cloudwatch.GetMetricDataOutput]()
	cwOut.NextToken = nil
	Handle(env.reg, SvcCloudWatch, "GetMetricData", func(s *Sim, in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
		gotCW = in
		return cwOut, nil
	})
	run := func(args ...string) map[string]any {
		cmd := exec.Command(awsPath, append(args, "--endpoint-url", env.srv.URL, "--region", "us-east-1", "--output", "json")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %s: output is not JSON: %s", strings.Join(args, " "), out)
		}
		return m
	}
	m := run("ecs", "list-clusters")
	if arns, _ := m["clusterArns"].([]any); len(arns) != 1 || gotECS == nil {
		t.Errorf("list-clusters: %v", m)
	}
	m = run("ecs", "describe-services", "--cluster", "prod", "--services", "a", "b")
	if svcs, _ := m["services"].([]any); len(svcs) != len(ecsDS.Services) {
		t.Errorf("describe-services: %d services", len(svcs))
	} else if name := svcs[0].(map[string]any)["serviceName"]; name != *ecsDS.Services[0].ServiceName {
		t.Errorf("describe-services: serviceName %v", name)
	}
	m = run("autoscaling", "describe-auto-scaling-groups", "--no-paginate")
	groups, _ := m["AutoScalingGroups"].([]any)
	if len(groups) != len(asgOut.AutoScalingGroups) {
		t.Fatalf("describe-auto-scaling-groups: %v", m)
	}
	g := groups[0].(map[string]any)
	if g["AutoScalingGroupName"] != *asgOut.AutoScalingGroups[0].AutoScalingGroupName || len(g["Instances"].([]any)) != 2 {
		t.Errorf("group: %v", g)
	}
	m = run("ec2", "describe-instances", "--instance-ids", "i-1", "i-2", "--filters", "Name=tag:cluster,Values=prod,dev", "--no-paginate")
	res, _ := m["Reservations"].([]any)
	if len(res) != 2 {
		t.Fatalf("describe-instances: %v", m)
	}
	inst := res[0].(map[string]any)["Instances"].([]any)[0].(map[string]any)
	want := ec2Out.Reservations[0].Instances[0]
	if inst["InstanceId"] != *want.InstanceId || inst["PublicIpAddress"] != *want.PublicIpAddress || len(inst["SecurityGroups"].([]any)) != 2 || len(inst["Tags"].([]any)) != 2 {
		t.Errorf("instance: %v", inst)
	}
	m = run("cloudwatch", "get-metric-data", "--start-time", "2026-01-01T00:00:00Z", "--end-time", "2026-01-01T01:00:00Z", "--no-paginate",
		"--metric-data-queries", `[{"Id":"cpu","MetricStat":{"Metric":{"Namespace":"AWS/ECS","MetricName":"CPUUtilization","Dimensions":[{"Name":"ClusterName","Value":"prod"}]},"Period":60,"Stat":"Average"}}]`)
	results, _ := m["MetricDataResults"].([]any)
	if len(results) != 2 || len(results[0].(map[string]any)["Values"].([]any)) != 2 {
		t.Errorf("get-metric-data: %v", m)
	}
	if gotCW == nil || len(gotCW.MetricDataQueries) != 1 || *gotCW.MetricDataQueries[0].MetricStat.Period != 60 || gotCW.StartTime.Hour() != 0 {
		t.Errorf("get-metric-data decoded input: %+v", gotCW)
	}
	if gotEC2 == nil || len(gotEC2.InstanceIds) != 2 || len(gotEC2.Filters) != 1 || len(gotEC2.Filters[0].Values) != 2 {
		t.Errorf("decoded input: %+v", gotEC2)
	}
}
