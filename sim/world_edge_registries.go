package sim

// Edge registries: images the edge cluster runs that ecsctl cannot check
// the way it checks this account's repositories (see ecr_foreign.go).
const (
	// EdgeForeignRegistry is the platform account whose registry holds the
	// shared base images.
	EdgeForeignRegistry = "210987654321"
	// EdgeForeignRepo lets this account pull, and denies it
	// ecr:DescribeImages.
	EdgeForeignRepo = "platform/base-api"
	// EdgePTCPrefix is the pull-through cache rule's prefix for Docker Hub;
	// nothing has been pulled through it yet.
	EdgePTCPrefix = "docker-hub"
)

// edgeRegistries adds a repository in another account's registry and a pull-through cache.
func edgeRegistries(w *World) {
	w.ForeignRepositories = append(w.ForeignRepositories, ForeignRepositorySpec{
		RegistryID: EdgeForeignRegistry, Name: EdgeForeignRepo,
		Tags: []string{"2026.11.1", "2026.12.0"}, DenyDescribe: true,
	})
	w.PullThroughCacheRules = append(w.PullThroughCacheRules, PullThroughCacheRuleSpec{
		Prefix: EdgePTCPrefix, UpstreamRegistryURL: "registry-1.docker.io",
		UpstreamImages: []string{"library/nginx:1.27", "library/nginx:1.28"},
	})
}
