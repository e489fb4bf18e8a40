package overview

import (
	"ecsctl/ops"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestServiceLaunch(t *testing.T) {
	cp := func(n string, w, b int32) types.CapacityProviderStrategyItem {
		return types.CapacityProviderStrategyItem{CapacityProvider: aws.String(n), Weight: w, Base: b}
	}
	for _, tc := range []struct {
		svc     types.Service
		want    string
		fargate bool
	}{
		{types.Service{LaunchType: types.LaunchTypeEc2}, "EC2", false},
		{types.Service{LaunchType: types.LaunchTypeFargate}, "FARGATE", true},
		{types.Service{CapacityProviderStrategy: []types.CapacityProviderStrategyItem{cp("FARGATE_SPOT", 3, 0), cp("FARGATE", 1, 1)}}, "FARGATE_SPOT:3,FARGATE:1 base 1", true},
		{types.Service{CapacityProviderStrategy: []types.CapacityProviderStrategyItem{cp("prod-cp", 1, 2)}}, "prod-cp:1 base 2", false},
		{types.Service{}, "-", false},
	} {
		got, items := serviceLaunch(tc.svc)
		if got != tc.want || len(items) != len(tc.svc.CapacityProviderStrategy) {
			t.Errorf("serviceLaunch(%+v) = %q %v, want %q", tc.svc, got, items, tc.want)
		}
		if ops.ServiceOnFargate(tc.svc) != tc.fargate {
			t.Errorf("ops.ServiceOnFargate(%q) = %v", tc.want, !tc.fargate)
		}
	}
}

func TestTaskPlacementAndWhere(t *testing.T) {
	kv := func(k, v string) types.KeyValuePair {
		return types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)}
	}
	fargate := types.Task{LaunchType: types.LaunchTypeFargate, CapacityProviderName: aws.String("FARGATE_SPOT"),
		Attachments: []types.Attachment{{Type: aws.String("ElasticNetworkInterface"),
			Details: []types.KeyValuePair{kv("subnetId", "subnet-1"), kv("networkInterfaceId", "eni-0abc"), kv("privateIPv4Address", "10.0.1.2")}}}}
	// An awsvpc task whose attachment lacks the address: the container's
	// network interface has it.
	partial := types.Task{LaunchType: types.LaunchTypeFargate, Containers: []types.Container{{
		NetworkInterfaces: []types.NetworkInterface{{PrivateIpv4Address: aws.String("10.0.3.4")}}}}}
	for _, tc := range []struct {
		name      string
		task      types.Task
		instance  string
		wantWhere string
		wantLT    string
	}{
		{"fargate spot", fargate, "", "10.0.1.2 (eni-0abc)", "FARGATE"},
		{"address from the container", partial, "", "10.0.3.4", "FARGATE"},
		{"ec2 awsvpc keeps its instance", types.Task{LaunchType: types.LaunchTypeEc2, Attachments: fargate.Attachments}, "i-0123", "i-0123", "EC2"},
		{"ec2 bridge", types.Task{LaunchType: types.LaunchTypeEc2}, "i-0456", "i-0456", "EC2"},
	} {
		tr := TaskRow{InstanceID: tc.instance}
		fillTaskPlacement(&tr, tc.task)
		if tr.Where() != tc.wantWhere || tr.LaunchType != tc.wantLT {
			t.Errorf("%s: where %q launch %q, want %q %q", tc.name, tr.Where(), tr.LaunchType, tc.wantWhere, tc.wantLT)
		}
	}
}
