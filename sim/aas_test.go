package sim

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func TestAASScalableTargets(t *testing.T) {
	s := New(Options{ManualClock: true, PageSize: 1, Start: logsTestStart})
	w := &World{Clusters: []ClusterSpec{{Name: "prod", Services: []ServiceSpec{
		{Name: "api", Autoscaling: &ServiceAutoscalingSpec{Min: 2, Max: 10}, Containers: []ContainerSpec{{Name: "app", Image: "api:v1"}}},
		{Name: "web", Autoscaling: &ServiceAutoscalingSpec{Min: 1, Max: 4}, Containers: []ContainerSpec{{Name: "app", Image: "web:v1"}}},
		{Name: "batch", Containers: []ContainerSpec{{Name: "app", Image: "batch:v1"}}},
	}}}}
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	describe := func(ids ...string) []aastypes.ScalableTarget {
		var all []aastypes.ScalableTarget
		var tok *string
		for {
			out, err := s.aasDescribeScalableTargets(&applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: ids, NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.ScalableTargets...)
			if tok = out.NextToken; tok == nil {
				return all
			}
		}
	}
	reg := func(id string, lo, hi *int32) error {
		_, err := s.aasRegisterScalableTarget(&applicationautoscaling.RegisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			ResourceId: aws.String(id), MinCapacity: lo, MaxCapacity: hi,
		})
		return err
	}
	locked(s, func() {
		if got := describe(); len(got) != 2 || aws.ToString(got[0].ResourceId) != "service/prod/api" || aws.ToInt32(got[0].MaxCapacity) != 10 {
			t.Fatalf("targets %+v", got)
		}
		if err := reg("service/prod/api", nil, aws.Int32(20)); err != nil {
			t.Fatal(err)
		}
		got := describe("service/prod/api")
		if len(got) != 1 || aws.ToInt32(got[0].MinCapacity) != 2 || aws.ToInt32(got[0].MaxCapacity) != 20 {
			t.Fatalf("after update %+v", got)
		}
		tests := []struct {
			name   string
			id     string
			lo, hi *int32
			code   string
		}{
			{"new without bounds", "service/prod/batch", aws.Int32(1), nil, "ValidationException"},
			{"min above max", "service/prod/api", aws.Int32(30), nil, "ValidationException"},
			{"bad resource id", "prod/batch", aws.Int32(1), aws.Int32(2), "ValidationException"},
			{"new target", "service/prod/batch", aws.Int32(0), aws.Int32(3), ""},
		}
		for _, tt := range tests {
			if err := reg(tt.id, tt.lo, tt.hi); apiCode(err) != tt.code || (tt.code == "" && err != nil) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.code)
			}
		}
		if got := describe(); len(got) != 3 {
			t.Fatalf("%d targets after registering batch", len(got))
		}
		_, err := s.aasDescribeScalableTargets(&applicationautoscaling.DescribeScalableTargetsInput{})
		if apiCode(err) != "ValidationException" {
			t.Fatalf("no namespace: %v", err)
		}
	})
}
