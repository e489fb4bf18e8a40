package sim

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	smithy "github.com/aws/smithy-go"
)

// The edge world's registries: another account's repository this account
// may pull from but not describe, and a pull-through cache whose
// repositories appear on their first pull.
func TestEdgeRegistries(t *testing.T) {
	s := New(Options{ManualClock: true})
	if err := s.LoadWorld(edgeWorld()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	t.Cleanup(srv.Close)
	c := newClients(srv.URL, 1)
	ctx := context.Background()
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}
	_, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RegistryId: aws.String(EdgeForeignRegistry), RepositoryName: aws.String(EdgeForeignRepo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("2026.12.0")}}})
	if code(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "explicit deny in a resource-based policy") {
		t.Errorf("foreign DescribeImages: %v", err)
	}
	got, err := c.ecr.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: aws.String(EdgeForeignRegistry), RepositoryName: aws.String(EdgeForeignRepo),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("2026.12.0")}}})
	if err != nil || len(got.Images) != 1 || aws.ToString(got.Images[0].RegistryId) != EdgeForeignRegistry {
		t.Errorf("foreign pull: %v %+v", err, got)
	}
	foreign := EdgeForeignRegistry + ".dkr.ecr.us-east-1.amazonaws.com/" + EdgeForeignRepo
	if st := s.ecrImageStatus(foreign + ":2026.12.0"); !st.Exists {
		t.Errorf("foreign image not pullable")
	}
	if st := s.ecrImageStatus(foreign + ":nope"); st.Exists {
		t.Errorf("foreign image with an unknown tag pullable")
	}

	ptc := EdgePTCPrefix + "/library/nginx"
	_, err = c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(ptc), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("1.27")}}})
	if code(err) != "RepositoryNotFoundException" {
		t.Errorf("never-pulled cache repository: %v", err)
	}
	rules, err := c.ecr.DescribePullThroughCacheRules(ctx, &ecr.DescribePullThroughCacheRulesInput{})
	if err != nil || len(rules.PullThroughCacheRules) != 1 || aws.ToString(rules.PullThroughCacheRules[0].EcrRepositoryPrefix) != EdgePTCPrefix ||
		rules.PullThroughCacheRules[0].UpstreamRegistry != ecrtypes.UpstreamRegistryDockerHub {
		t.Errorf("rules: %v %+v", err, rules)
	}
	s.Lock()
	st := s.ecrImageStatus(s.ECRRegistry() + "/" + ptc + ":1.27")
	missing := s.ecrImageStatus(s.ECRRegistry() + "/" + ptc + ":0.1")
	s.Unlock()
	if !st.Exists || missing.Exists {
		t.Errorf("pull through the cache: %+v, of a tag upstream lacks: %+v", st, missing)
	}
	if _, err := c.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(ptc), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("1.27")}}}); err != nil {
		t.Errorf("after the first pull: %v", err)
	}
}
