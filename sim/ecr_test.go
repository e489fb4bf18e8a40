package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

func ecrTestWorld() *World {
	return &World{
		Repositories: []RepositorySpec{
			{Name: "api", Tags: []string{"v1", "v2"}, Immutable: true},
			{Name: "web", Tags: []string{"latest"}},
		},
		Clusters: []ClusterSpec{{Name: "prod", Services: []ServiceSpec{{Name: "worker", Containers: []ContainerSpec{
			{Name: "w", Image: "team/worker:2024-01"},
			{Name: "side", Image: "public.ecr.aws/nginx/nginx:1.27"},
		}}}}},
	}
}

func newECRSim(t *testing.T, pageSize int) *Sim {
	t.Helper()
	s := New(Options{ManualClock: true, PageSize: pageSize, Start: logsTestStart})
	if err := s.LoadWorld(ecrTestWorld()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestECRWorldAndImageStatus(t *testing.T) {
	s := newECRSim(t, 100)
	reg := s.ECRRegistry()
	var digestV1 string
	locked(s, func() { digestV1 = s.ecr.Repos["api"].Tags["v1"] })
	tests := []struct {
		image string
		want  ImageStatus
	}{
		{reg + "/api:v1", ImageStatus{ECR: true, Exists: true}},
		{reg + "/api:v3", ImageStatus{ECR: true, Exists: false}},
		{reg + "/api@" + digestV1, ImageStatus{ECR: true, Exists: true}},
		{reg + "/api@sha256:0000", ImageStatus{ECR: true, Exists: false}},
		{reg + "/web", ImageStatus{ECR: true, Exists: true}},
		{reg + "/api", ImageStatus{ECR: true, Exists: false}}, // no latest tag
		{reg + "/nope:v1", ImageStatus{ECR: true, Exists: false}},
		{reg + "/team/worker:2024-01", ImageStatus{ECR: true, Exists: true}},
		{"nginx:latest", ImageStatus{ECR: false, Exists: true}},
		{"999999999999.dkr.ecr.us-east-1.amazonaws.com/api:v9", ImageStatus{ECR: false, Exists: true}},
		{"localhost:5000/api:v1", ImageStatus{ECR: false, Exists: true}},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			locked(s, func() {
				if got := s.ecrImageStatus(tt.image); got != tt.want {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
			})
		})
	}
	locked(s, func() {
		if _, ok := s.ecr.Repos["public.ecr.aws/nginx/nginx"]; ok {
			t.Fatal("repository created for another registry's image")
		}
	})
}

func TestECRPutImageImmutability(t *testing.T) {
	s := newECRSim(t, 100)
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"size":10},"layers":[{"size":100}]}`
	var v1Manifest string
	locked(s, func() {
		r := s.ecr.Repos["api"]
		v1Manifest = r.Images[r.Tags["v1"]].Manifest
	})
	tests := []struct {
		name, repo, tag, manifest, code string
	}{
		{"immutable tag moved", "api", "v1", manifest, "ImageTagAlreadyExistsException"},
		{"same image same tag", "api", "v1", v1Manifest, "ImageAlreadyExistsException"},
		{"immutable new tag", "api", "v3", manifest, ""},
		{"immutable second tag on same image", "api", "v3b", manifest, ""},
		{"mutable tag moved", "web", "latest", manifest, ""},
		{"missing repository", "nope", "v1", manifest, "RepositoryNotFoundException"},
		{"empty manifest", "web", "x", "", "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locked(s, func() {
				out, err := s.ecrPutImage(&ecr.PutImageInput{RepositoryName: aws.String(tt.repo), ImageTag: aws.String(tt.tag), ImageManifest: aws.String(tt.manifest)})
				if apiCode(err) != tt.code || (tt.code == "" && err != nil) {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if err == nil && aws.ToString(out.Image.ImageId.ImageDigest) != manifestDigest(tt.manifest) {
					t.Fatal("digest is not the manifest's sha256")
				}
			})
		})
	}
	locked(s, func() {
		out, err := s.ecrDescribeImages(&ecr.DescribeImagesInput{RepositoryName: aws.String("api"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v3")}}})
		if err != nil {
			t.Fatal(err)
		}
		d := out.ImageDetails[0]
		if fmt.Sprint(d.ImageTags) != "[v3 v3b]" || aws.ToInt64(d.ImageSizeInBytes) != 110 || d.ImagePushedAt == nil {
			t.Fatalf("detail %+v", d)
		}
	})
	// PushImage obeys the same rule.
	if _, err := s.PushImage("api", "v2"); apiCode(err) != "ImageTagAlreadyExistsException" {
		t.Fatalf("push over immutable tag: %v", err)
	}
	d1, err := s.PushImage("web", "latest")
	if err != nil {
		t.Fatal(err)
	}
	d2, err := s.PushImage("web", "latest")
	if err != nil || d1 == d2 || !strings.HasPrefix(d2, "sha256:") {
		t.Fatalf("second push: %s %s %v", d1, d2, err)
	}
	locked(s, func() {
		out, err := s.ecrDescribeImages(&ecr.DescribeImagesInput{RepositoryName: aws.String("web"), Filter: &ecrtypes.DescribeImagesFilter{TagStatus: ecrtypes.TagStatusUntagged}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ImageDetails) != 3 { // world's latest, the put manifest and the first push lost the tag
			t.Fatalf("%d untagged images", len(out.ImageDetails))
		}
	})
}

func TestECRDescribeAndBatchGetErrors(t *testing.T) {
	s := newECRSim(t, 1)
	locked(s, func() {
		_, err := s.ecrDescribeImages(&ecr.DescribeImagesInput{RepositoryName: aws.String("api"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v9")}}})
		if apiCode(err) != "ImageNotFoundException" || !strings.Contains(err.Error(), "imageTag:'v9'") {
			t.Fatalf("missing tag: %v", err)
		}
		_, err = s.ecrDescribeRepositories(&ecr.DescribeRepositoriesInput{RepositoryNames: []string{"api", "nope"}})
		if apiCode(err) != "RepositoryNotFoundException" || !strings.Contains(err.Error(), "'nope'") {
			t.Fatalf("missing repository: %v", err)
		}
		var names []string
		var tok *string
		for {
			out, err := s.ecrDescribeRepositories(&ecr.DescribeRepositoriesInput{NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Repositories {
				names = append(names, aws.ToString(r.RepositoryName)+"="+string(r.ImageTagMutability))
				if aws.ToString(r.RepositoryUri) != s.ECRRegistry()+"/"+aws.ToString(r.RepositoryName) {
					t.Fatalf("uri %s", aws.ToString(r.RepositoryUri))
				}
			}
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if fmt.Sprint(names) != "[api=IMMUTABLE team/worker=MUTABLE web=MUTABLE]" {
			t.Fatalf("repositories %v", names)
		}
		out, err := s.ecrBatchGetImage(&ecr.BatchGetImageInput{RepositoryName: aws.String("api"), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}, {ImageTag: aws.String("v9")}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Images) != 1 || len(out.Failures) != 1 || out.Failures[0].FailureCode != ecrtypes.ImageFailureCodeImageNotFound {
			t.Fatalf("batch get: %+v", out)
		}
		var ids int
		tok = nil
		for {
			li, err := s.ecrListImages(&ecr.ListImagesInput{RepositoryName: aws.String("api"), NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			ids += len(li.ImageIds)
			if tok = li.NextToken; tok == nil {
				break
			}
		}
		if ids != 2 {
			t.Fatalf("%d image ids in api", ids)
		}
	})
}
