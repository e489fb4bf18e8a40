package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Registries beyond this account's own repositories, as real accounts have
// them:
//
//   - A repository in another account's registry (a platform team's base
//     images). Cross-account access is granted by the repository policy
//     alone; a common one lets the workload accounts pull
//     (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer,
//     ecr:BatchCheckLayerAvailability) and nothing else, so DescribeImages
//     from them is refused with IAM's explicit-deny wording ("... with an
//     explicit deny in a resource-based policy"; ECR user guide, "Private
//     repository policy examples": "Allow another account" grants only the
//     pull actions).
//   - A pull-through cache rule: a repository under the rule's prefix
//     (docker-hub/library/nginx) does not exist until the first pull through
//     it, when ECR creates it and caches the image (ECR user guide, "Sync an
//     upstream registry with an Amazon ECR private registry": "When an image
//     is pulled using a pull through cache namespace for the first time,
//     Amazon ECR creates a private repository"). Until then DescribeImages
//     answers RepositoryNotFoundException like any missing repository;
//     DescribePullThroughCacheRules tells the two apart.

// ForeignRepositorySpec is a repository of another account's registry.
type ForeignRepositorySpec struct {
	RegistryID string   `json:"registryId"`
	Name       string   `json:"name"`
	Tags       []string `json:"tags,omitempty"`
	// DenyDescribe: its policy lets this account pull only.
	DenyDescribe bool `json:"denyDescribe,omitempty"`
}

// PullThroughCacheRuleSpec is a pull-through cache rule of this account's
// registry.
type PullThroughCacheRuleSpec struct {
	// Prefix is the ECR repository prefix (docker-hub).
	Prefix string `json:"prefix"`
	// UpstreamRegistryURL is the upstream (registry-1.docker.io).
	UpstreamRegistryURL string `json:"upstreamRegistryUrl"`
	// UpstreamImages are the images the upstream has, repo:tag
	// (library/nginx:1.27); a pull of another fails as the upstream would.
	UpstreamImages []string `json:"upstreamImages,omitempty"`
}

// ECRPullThroughRule is a pull-through cache rule in the account's state.
type ECRPullThroughRule struct {
	PullThroughCacheRuleSpec
	CreatedAt time.Time `json:"createdAt"`
}

func init() {
	register(SvcECR, "DescribePullThroughCacheRules", (*Sim).ecrDescribePullThroughCacheRules)
	// After "ecr" (5), before ECS places the world's tasks.
	registerWorldLoader(6, "ecr-foreign", (*Sim).ecrLoadForeign)
}

func (s *Sim) ecrLoadForeign(w *World) error {
	for _, f := range w.ForeignRepositories {
		if f.RegistryID == "" || f.Name == "" || f.RegistryID == s.AccountID {
			return fmt.Errorf("foreign repository %q: want another account's registry id and a name", f.RegistryID+"/"+f.Name)
		}
		if s.ecr.Foreign == nil {
			s.ecr.Foreign = map[string]*ECRRepo{}
		}
		key := f.RegistryID + "/" + f.Name
		r := s.ecr.Foreign[key]
		if r == nil {
			r = &ECRRepo{Name: f.Name, CreatedAt: s.now, Images: map[string]*ECRImage{}, Tags: map[string]string{}, Registry: f.RegistryID}
			s.ecr.Foreign[key] = r
		}
		r.DenyDescribe = f.DenyDescribe
		for _, tag := range f.Tags {
			if _, ok := r.Tags[tag]; !ok {
				s.ecrPushNew(r, tag)
			}
		}
	}
	for _, p := range w.PullThroughCacheRules {
		if p.Prefix == "" || p.UpstreamRegistryURL == "" {
			return fmt.Errorf("pull-through cache rule %q: want a prefix and an upstream registry URL", p.Prefix)
		}
		s.ecr.PullThroughCache = append(s.ecr.PullThroughCache, &ECRPullThroughRule{PullThroughCacheRuleSpec: p, CreatedAt: s.now})
	}
	return nil
}

// ecrRegistryOf is the registry id a repository belongs to.
func (s *Sim) ecrRegistryOf(r *ECRRepo) string {
	if r.Registry != "" {
		return r.Registry
	}
	return s.AccountID
}

// ecrPullOps are what a pull-only repository policy grants.
var ecrPullOps = map[string]bool{"BatchGetImage": true, "GetDownloadUrlForLayer": true, "BatchCheckLayerAvailability": true}

// ecrForeignRepo answers op on repository name of registry id (not this
// account's).
func (s *Sim) ecrForeignRepo(op, id, name string) (*ECRRepo, error) {
	r := s.ecr.Foreign[id+"/"+name]
	if r == nil {
		return nil, apiErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, id)
	}
	if !ecrPullOps[op] && (r.DenyDescribe || op == "PutImage") {
		action := IAMAction(SvcECR, op)
		return nil, apiErr("AccessDeniedException", "User: %s is not authorized to perform: %s on resource: arn:aws:ecr:%s:%s:repository/%s with an explicit deny in a resource-based policy",
			s.denyCaller(), action, s.Region, id, name)
	}
	return r, nil
}

// ecrForeignImageStatus answers ECS for an image outside this account's
// registry: one of a known foreign repository must exist; others (Docker
// Hub, ...) are always pullable.
func (s *Sim) ecrForeignImageStatus(image string) ImageStatus {
	host, rest, ok := strings.Cut(image, "/")
	id, _, _ := strings.Cut(host, ".")
	if !ok || host != id+".dkr.ecr."+s.Region+".amazonaws.com" {
		return ImageStatus{Exists: true}
	}
	ref, ok := parseRepoRef(rest)
	r := s.ecr.Foreign[id+"/"+ref.repo]
	if !ok || r == nil {
		return ImageStatus{Exists: true}
	}
	if ref.digest != "" {
		return ImageStatus{ECR: true, Exists: r.Images[ref.digest] != nil}
	}
	_, exists := r.Tags[ref.tag]
	return ImageStatus{ECR: true, Exists: exists}
}

// ecrPullThrough caches ref on its first pull when a pull-through cache
// rule covers it and the upstream has it: ECR creates the repository then.
func (s *Sim) ecrPullThrough(ref imageRef) {
	if ref.tag == "" {
		return
	}
	if r := s.ecr.Repos[ref.repo]; r != nil {
		if _, ok := r.Tags[ref.tag]; ok {
			return
		}
	}
	for _, rule := range s.ecr.PullThroughCache {
		upstream, ok := strings.CutPrefix(ref.repo, rule.Prefix+"/")
		if !ok {
			continue
		}
		for _, im := range rule.UpstreamImages {
			if im == upstream+":"+ref.tag {
				s.ecrPushNew(s.ecrEnsureRepo(ref.repo), ref.tag)
				return
			}
		}
	}
}

func (s *Sim) ecrDescribePullThroughCacheRules(in *ecr.DescribePullThroughCacheRulesInput) (*ecr.DescribePullThroughCacheRulesOutput, error) {
	if id := aws.ToString(in.RegistryId); id != "" && id != s.AccountID {
		return nil, ecrInvalid("Invalid parameter at 'registryId': the registry '%s' is not accessible", id)
	}
	want := map[string]bool{}
	for _, p := range in.EcrRepositoryPrefixes {
		want[p] = true
	}
	out := &ecr.DescribePullThroughCacheRulesOutput{PullThroughCacheRules: []ecrtypes.PullThroughCacheRule{}}
	rules := append([]*ECRPullThroughRule(nil), s.ecr.PullThroughCache...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].Prefix < rules[j].Prefix })
	found := map[string]bool{}
	for _, r := range rules {
		if len(want) > 0 && !want[r.Prefix] {
			continue
		}
		found[r.Prefix] = true
		out.PullThroughCacheRules = append(out.PullThroughCacheRules, ecrtypes.PullThroughCacheRule{
			EcrRepositoryPrefix: aws.String(r.Prefix),
			UpstreamRegistryUrl: aws.String(r.UpstreamRegistryURL),
			UpstreamRegistry:    ecrUpstreamKind(r.UpstreamRegistryURL),
			RegistryId:          aws.String(s.AccountID),
			CreatedAt:           aws.Time(r.CreatedAt),
		})
	}
	for p := range want {
		if !found[p] {
			return nil, apiErr("PullThroughCacheRuleNotFoundException", "The pull through cache rule with prefix '%s' does not exist in the registry with id '%s'", p, s.AccountID)
		}
	}
	return out, nil
}

func ecrUpstreamKind(url string) ecrtypes.UpstreamRegistry {
	switch {
	case strings.Contains(url, "docker.io"):
		return ecrtypes.UpstreamRegistryDockerHub
	case strings.Contains(url, "public.ecr.aws"):
		return ecrtypes.UpstreamRegistryEcrPublic
	case strings.Contains(url, "ghcr.io"):
		return ecrtypes.UpstreamRegistryGitHubContainerRegistry
	case strings.Contains(url, "quay.io"):
		return ecrtypes.UpstreamRegistryQuay
	}
	return ecrtypes.UpstreamRegistryK8s
}
