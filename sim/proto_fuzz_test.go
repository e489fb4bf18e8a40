package sim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// fuzzServer answers four operations, one per protocol family, with fully
// populated outputs, so that decoding and encoding both run.
func fuzzServer() http.Handler {
	reg := NewRegistry()
	Handle(reg, SvcECS, "RegisterTaskDefinition", func(*Sim, *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionOutput, error) {
		return filled[ecs.RegisterTaskDefinitionOutput](), nil
	})
	Handle(reg, SvcCloudWatch, "GetMetricData", func(*Sim, *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
		return &cloudwatch.GetMetricDataOutput{}, nil
	})
	Handle(reg, SvcEC2, "CreateLaunchTemplateVersion", func(*Sim, *ec2.CreateLaunchTemplateVersionInput) (*ec2.CreateLaunchTemplateVersionOutput, error) {
		return &ec2.CreateLaunchTemplateVersionOutput{}, nil
	})
	Handle(reg, SvcAutoScaling, "UpdateAutoScalingGroup", func(*Sim, *autoscaling.UpdateAutoScalingGroupInput) (*autoscaling.UpdateAutoScalingGroupOutput, error) {
		return &autoscaling.UpdateAutoScalingGroupOutput{}, nil
	})
	return NewServer(New(Options{ManualClock: true}), reg)
}

// FuzzDecoders feeds arbitrary bodies to every protocol's decoder through
// the server: it must answer (2xx or a 4xx protocol error), never panic or
// hang. Selector picks the protocol.
func FuzzDecoders(f *testing.F) {
	f.Add(byte(0), []byte(`{"family":"web","containerDefinitions":[{"name":"app","cpu":256,"portMappings":[{"containerPort":80}]}]}`))
	f.Add(byte(0), []byte(`{"family":1e999,"tags":[{"key":null}],"volumes":{}}`))
	f.Add(byte(1), []byte("\xbf\x6aStartTime\xc1\x1a\x65\x00\x00\x00\xff"))
	f.Add(byte(1), []byte("\xbf\x71MetricDataQueries\x9f\xbf\x62Id\x61a\xff\xff\xff"))
	f.Add(byte(2), []byte("Action=CreateLaunchTemplateVersion&Version=2016-11-15&LaunchTemplateData.ImageId=ami-1&LaunchTemplateData.TagSpecification.1.Tag.1.Key=k"))
	f.Add(byte(3), []byte("Action=UpdateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=g&AvailabilityZones.member.1=a&MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.InstanceType=t3"))
	srv := fuzzServer()
	f.Fuzz(func(t *testing.T, sel byte, body []byte) {
		var req *http.Request
		switch sel % 4 {
		case 0:
			req = httptest.NewRequest("POST", "/", bytes.NewReader(body))
			req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition")
		case 1:
			req = httptest.NewRequest("POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", bytes.NewReader(body))
			req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		default:
			req = httptest.NewRequest("POST", "/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
	})
}
