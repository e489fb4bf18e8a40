package sim

import (
	"fmt"
	"time"
)

// Application Auto Scaling: the scalable targets of ECS services (their
// DesiredCount bounds). The sandbox records them; it runs no scaling
// policies.

type aasState struct {
	Targets map[string]*ScalableTargetData `json:"targets"` // by resource ID
}

// ScalableTargetData is one registered ECS service target.
type ScalableTargetData struct {
	ResourceID   string    `json:"resourceId"`
	ID           string    `json:"id"`
	Min          int32     `json:"min"`
	Max          int32     `json:"max"`
	RoleARN      string    `json:"roleArn"`
	CreationTime time.Time `json:"creationTime"`
	SuspendIn    bool      `json:"suspendIn,omitempty"`
	SuspendOut   bool      `json:"suspendOut,omitempty"`
	SuspendSched bool      `json:"suspendScheduled,omitempty"`
}

func newAASState() *aasState { return &aasState{Targets: map[string]*ScalableTargetData{}} }

func init() {
	registerWorldLoader(loadOrderRest, "application-autoscaling", func(s *Sim, w *World) error {
		for _, cl := range w.Clusters {
			for _, svc := range cl.Services {
				a := svc.Autoscaling
				if a == nil {
					continue
				}
				if a.Min < 0 || a.Max < a.Min {
					return fmt.Errorf("service %s/%s: autoscaling min %d, max %d", cl.Name, svc.Name, a.Min, a.Max)
				}
				s.aasPut("service/"+cl.Name+"/"+svc.Name, int32(a.Min), int32(a.Max))
			}
		}
		return nil
	})
	registerAfterLoad(func(s *Sim) {
		if s.aas == nil {
			s.aas = newAASState()
		}
	})
}

func (s *Sim) aasPut(resourceID string, min, max int32) *ScalableTargetData {
	t := s.aas.Targets[resourceID]
	if t == nil {
		t = &ScalableTargetData{
			ResourceID: resourceID, ID: s.randHex(32), CreationTime: s.now,
			// IAM ARNs have no region.
			RoleARN: "arn:aws:iam::" + s.AccountID + ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
		}
		s.aas.Targets[resourceID] = t
	}
	t.Min, t.Max = min, max
	return t
}
