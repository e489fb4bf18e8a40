package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func newSSMSim(t *testing.T) *Sim {
	t.Helper()
	s := New(Options{ManualClock: true, PageSize: 100, Start: logsTestStart})
	w := &World{SSMParameters: map[string]string{
		"/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id": "ami-0abc1234def567890",
		"/app/prod/db_host":    "db.internal",
		"/app/prod/nested/x":   "1",
		"/app/staging/db_host": "db2.internal",
	}}
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSSMGetParameter(t *testing.T) {
	s := newSSMSim(t)
	const ami = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
	s.Advance(time.Hour)
	if err := s.PutParameter(ami, "ami-0fedcba9876543210"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value, dataType, code string
		version                     int64
	}{
		{ami, "ami-0fedcba9876543210", "aws:ec2:image", "", 2},
		{ami + ":1", "ami-0abc1234def567890", "aws:ec2:image", "", 1},
		{ami + ":7", "", "", "ParameterVersionNotFound", 0},
		{"/app/prod/db_host", "db.internal", "text", "", 1},
		{"/app/prod/missing", "", "", "ParameterNotFound", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locked(s, func() {
				out, err := s.ssmGetParameter(&ssm.GetParameterInput{Name: aws.String(tt.name)})
				if apiCode(err) != tt.code || (tt.code == "" && err != nil) {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if err != nil {
					return
				}
				p := out.Parameter
				if aws.ToString(p.Value) != tt.value || aws.ToString(p.DataType) != tt.dataType || p.Version != tt.version || p.Type != "String" || p.ARN == nil || p.LastModifiedDate == nil {
					t.Fatalf("parameter %+v", p)
				}
			})
		})
	}
}

func TestSSMGetParametersInvalidNames(t *testing.T) {
	s := newSSMSim(t)
	locked(s, func() {
		out, err := s.ssmGetParameters(&ssm.GetParametersInput{Names: []string{"/app/prod/db_host", "/nope", "/app/staging/db_host", "/app/prod/db_host:9"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) != 2 || fmt.Sprint(out.InvalidParameters) != "[/nope /app/prod/db_host:9]" {
			t.Fatalf("parameters %d, invalid %v", len(out.Parameters), out.InvalidParameters)
		}
		_, err = s.ssmGetParameters(&ssm.GetParametersInput{Names: make([]string, 11)})
		if apiCode(err) != "ValidationException" {
			t.Fatalf("11 names: %v", err)
		}
	})
}

func TestSSMGetParametersByPath(t *testing.T) {
	s := newSSMSim(t)
	tests := []struct {
		recursive bool
		want      string
	}{
		{false, "[/app/prod/db_host]"},
		{true, "[/app/prod/db_host /app/prod/nested/x]"},
	}
	for _, tt := range tests {
		locked(s, func() {
			var names []string
			var tok *string
			for {
				out, err := s.ssmGetParametersByPath(&ssm.GetParametersByPathInput{Path: aws.String("/app/prod"), Recursive: aws.Bool(tt.recursive), MaxResults: aws.Int32(1), NextToken: tok})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range out.Parameters {
					names = append(names, aws.ToString(p.Name))
				}
				if tok = out.NextToken; tok == nil {
					break
				}
			}
			if fmt.Sprint(names) != tt.want {
				t.Fatalf("recursive=%v: %v", tt.recursive, names)
			}
		})
	}
}
