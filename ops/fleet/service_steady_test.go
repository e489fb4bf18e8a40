package fleet

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Rotation and cluster scaling wait for steady services: a CODE_DEPLOY or
// EXTERNAL service has task sets and no deployments, and is steady with one.
func TestServiceSteadyCountsTaskSets(t *testing.T) {
	one := []types.TaskSet{{Status: aws.String("PRIMARY")}}
	for _, tc := range []struct {
		name string
		s    types.Service
		want bool
	}{
		{"one deployment", types.Service{Deployments: []types.Deployment{{}}, DesiredCount: 2, RunningCount: 2}, true},
		{"two deployments", types.Service{Deployments: []types.Deployment{{}, {}}, DesiredCount: 2, RunningCount: 2}, false},
		{"one task set", types.Service{TaskSets: one, DesiredCount: 2, RunningCount: 2}, true},
		{"two task sets (CodeDeploy shifting)", types.Service{TaskSets: append(one, types.TaskSet{Status: aws.String("ACTIVE")}), DesiredCount: 2, RunningCount: 4}, false},
		{"one task set, short", types.Service{TaskSets: one, DesiredCount: 2, RunningCount: 1}, false},
	} {
		if got := serviceSteady(tc.s); got != tc.want {
			t.Errorf("%s: steady %v, want %v", tc.name, got, tc.want)
		}
	}
}
