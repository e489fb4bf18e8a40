package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
)

// ptcECR is an ECR that also answers DescribePullThroughCacheRules.
type ptcECR struct {
	fakeECR
	rules []string // prefixes
	err   error
	calls int
}

func (f *ptcECR) DescribePullThroughCacheRules(_ context.Context, in *ecr.DescribePullThroughCacheRulesInput, _ ...func(*ecr.Options)) (*ecr.DescribePullThroughCacheRulesOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := &ecr.DescribePullThroughCacheRulesOutput{}
	for _, p := range f.rules {
		out.PullThroughCacheRules = append(out.PullThroughCacheRules, ecrtypes.PullThroughCacheRule{EcrRepositoryPrefix: aws.String(p), UpstreamRegistryUrl: aws.String("registry-1.docker.io")})
	}
	return out, nil
}

func TestUncheckableImage(t *testing.T) {
	const own = "arn:aws:ecs:us-east-1:111111111111:task-definition/api:3"
	apiErr := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name    string
		image   string
		err     error
		ecr     ECR
		note    string // "" : a definite answer
		ptcCall bool
	}{
		{"found", "111111111111.dkr.ecr.us-east-1.amazonaws.com/api:1", nil, &ptcECR{}, "", false},
		{"denied", "111111111111.dkr.ecr.us-east-1.amazonaws.com/api:1", apiErr("AccessDeniedException"), &ptcECR{}, "ecr:DescribeImages is denied on repository api (m)", false},
		{"denied elsewhere", "222222222222.dkr.ecr.us-east-1.amazonaws.com/base:1", apiErr("AccessDeniedException"), &ptcECR{}, "repository base of account 222222222222's registry", false},
		{"hidden elsewhere", "222222222222.dkr.ecr.us-east-1.amazonaws.com/base:1", apiErr("RepositoryNotFoundException"), &ptcECR{}, "account 222222222222's registry does not show repository base", false},
		{"missing tag elsewhere", "222222222222.dkr.ecr.us-east-1.amazonaws.com/base:1", apiErr("ImageNotFoundException"), &ptcECR{}, "", false},
		{"cache not pulled", "111111111111.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1", apiErr("RepositoryNotFoundException"), &ptcECR{rules: []string{"docker-hub"}}, "pull-through cache docker-hub (upstream registry-1.docker.io)", true},
		{"cache tag not pulled", "111111111111.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:2", apiErr("ImageNotFoundException"), &ptcECR{rules: []string{"docker-hub"}}, "has not been pulled yet", true},
		{"missing repository", "111111111111.dkr.ecr.us-east-1.amazonaws.com/apii:1", apiErr("RepositoryNotFoundException"), &ptcECR{rules: []string{"docker-hub"}}, "", true},
		{"prefix is not a path", "111111111111.dkr.ecr.us-east-1.amazonaws.com/docker-hubx/nginx:1", apiErr("RepositoryNotFoundException"), &ptcECR{rules: []string{"docker-hub"}}, "", true},
		{"rules denied", "111111111111.dkr.ecr.us-east-1.amazonaws.com/apii:1", apiErr("RepositoryNotFoundException"), &ptcECR{err: apiErr("AccessDeniedException")}, "ecr:DescribePullThroughCacheRules is denied", true},
		{"no rules API", "111111111111.dkr.ecr.us-east-1.amazonaws.com/apii:1", apiErr("RepositoryNotFoundException"), &fakeECR{}, "", false},
		{"throttled", "111111111111.dkr.ecr.us-east-1.amazonaws.com/api:1", apiErr("ThrottlingException"), &ptcECR{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := ParseImageRef(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			account, _, _ := ref.ECR()
			d := &Deployer{ECR: tt.ecr}
			note := d.uncheckableImage(context.Background(), &ServiceResult{OldTaskDefinition: own}, "app", ref, account, tt.err)
			if (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
				t.Errorf("note %q, want %q", note, tt.note)
			}
			if note != "" && !strings.HasPrefix(note, "app: "+tt.image+" not checked: ") {
				t.Errorf("note %q does not say what was not checked", note)
			}
			if p, ok := tt.ecr.(*ptcECR); ok && (p.calls > 0) != tt.ptcCall {
				t.Errorf("DescribePullThroughCacheRules calls %d", p.calls)
			}
		})
	}
}
