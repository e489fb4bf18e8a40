package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func TestLogsSubsystemsSurviveSaveAndLoad(t *testing.T) {
	s := newMetricsSim(t)
	w := ecrTestWorld()
	w.SSMParameters = map[string]string{"/app/x": "1"}
	w.Clusters[0].Services[0].Autoscaling = &ServiceAutoscalingSpec{Min: 1, Max: 3}
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(5 * time.Minute)
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	s2.Advance(5 * time.Minute) // the publisher event was saved with the queue
	locked(s2, func() {
		if _, err := s2.ecrDescribeImages(&ecr.DescribeImagesInput{RepositoryName: aws.String("team/worker")}); err != nil {
			t.Errorf("ecr: %v", err)
		}
		if _, err := s2.ssmGetParameter(&ssm.GetParameterInput{Name: aws.String("/app/x")}); err != nil {
			t.Errorf("ssm: %v", err)
		}
		out, err := s2.aasDescribeScalableTargets(&applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
		if err != nil || len(out.ScalableTargets) != 1 {
			t.Errorf("aas: %v %+v", err, out)
		}
		for _, ser := range s2.cw.Series {
			if len(ser.Points) != 10 {
				t.Errorf("%s has %d points after 10 minutes across a save", ser.Name, len(ser.Points))
			}
		}
	})
}
