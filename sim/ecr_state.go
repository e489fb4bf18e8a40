package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ECR: repositories of this account's registry and the images pushed to them.

type ecrState struct {
	Repos map[string]*ECRRepo `json:"repos"`
	// Foreign holds repositories of other accounts' registries, by
	// "<registry id>/<name>" (ecr_foreign.go).
	Foreign map[string]*ECRRepo `json:"foreign,omitempty"`
	// PullThroughCache holds the registry's pull-through cache rules.
	PullThroughCache []*ECRPullThroughRule `json:"pullThroughCache,omitempty"`
}

// ECRRepo is one repository.
type ECRRepo struct {
	Name      string               `json:"name"`
	CreatedAt time.Time            `json:"createdAt"`
	Immutable bool                 `json:"immutable,omitempty"`
	Images    map[string]*ECRImage `json:"images"` // by digest
	Tags      map[string]string    `json:"tags"`   // tag → digest
	// Registry is the account id of another account's registry ("": this
	// account's).
	Registry string `json:"registry,omitempty"`
	// DenyDescribe: the repository policy lets this account pull but
	// denies it ecr:DescribeImages, ListImages and DescribeRepositories.
	DenyDescribe bool `json:"denyDescribe,omitempty"`
}

// ECRImage is one image manifest.
type ECRImage struct {
	Digest    string    `json:"digest"`
	Manifest  string    `json:"manifest"`
	MediaType string    `json:"mediaType"`
	PushedAt  time.Time `json:"pushedAt"`
	Size      int64     `json:"size"`
}

const dockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json"

func newECRState() *ecrState { return &ecrState{Repos: map[string]*ECRRepo{}} }

func init() {
	// Before EC2 and ECS: the images must exist when ECS places the world's
	// tasks and asks ecrImageStatus.
	registerWorldLoader(5, "ecr", (*Sim).ecrLoadWorld)
	registerAfterLoad(func(s *Sim) {
		if s.ecr == nil {
			s.ecr = newECRState()
		}
	})
}

func (s *Sim) ecrLoadWorld(w *World) error {
	for _, r := range w.Repositories {
		if r.Name == "" {
			return fmt.Errorf("repository with no name")
		}
		repo := s.ecrEnsureRepo(r.Name)
		repo.Immutable = r.Immutable
		for _, tag := range r.Tags {
			if _, ok := repo.Tags[tag]; !ok {
				s.ecrPushNew(repo, tag)
			}
		}
	}
	var images []string
	for _, cl := range w.Clusters {
		for _, svc := range cl.Services {
			for _, c := range svc.Containers {
				images = append(images, c.Image)
			}
		}
		for _, t := range cl.Tasks {
			for _, c := range t.Containers {
				images = append(images, c.Image)
			}
		}
	}
	for _, img := range images {
		ref, ok := s.parseECRImage(s.FullImage(img))
		if !ok {
			continue
		}
		repo := s.ecrEnsureRepo(ref.repo)
		switch {
		case ref.digest != "":
			if repo.Images[ref.digest] == nil {
				// The world names a digest; its manifest is synthetic.
				im := s.ecrNewImage()
				im.Digest = ref.digest
				repo.Images[ref.digest] = im
			}
			if ref.tag != "" {
				if _, ok := repo.Tags[ref.tag]; !ok {
					repo.Tags[ref.tag] = ref.digest
				}
			}
		default:
			if _, ok := repo.Tags[ref.tag]; !ok {
				s.ecrPushNew(repo, ref.tag)
			}
		}
	}
	return nil
}

func (s *Sim) ecrEnsureRepo(name string) *ECRRepo {
	if r := s.ecr.Repos[name]; r != nil {
		return r
	}
	r := &ECRRepo{Name: name, CreatedAt: s.now, Images: map[string]*ECRImage{}, Tags: map[string]string{}}
	s.ecr.Repos[name] = r
	return r
}

// ecrNewImage builds a new image manifest as a fresh build would (random
// layers from the seeded source), its digest the sha256 of the manifest.
func (s *Sim) ecrNewImage() *ECRImage {
	type blob struct {
		MediaType string `json:"mediaType"`
		Size      int64  `json:"size"`
		Digest    string `json:"digest"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        blob   `json:"config"`
		Layers        []blob `json:"layers"`
	}{SchemaVersion: 2, MediaType: dockerManifestV2,
		Config: blob{MediaType: "application/vnd.docker.container.image.v1+json", Size: 1500 + int64(s.rng.Intn(6000)), Digest: "sha256:" + s.randHex(64)}}
	size := m.Config.Size
	for i, n := 0, 2+s.rng.Intn(5); i < n; i++ {
		l := blob{MediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", Size: 1000 + s.rng.Int63n(60_000_000), Digest: "sha256:" + s.randHex(64)}
		size += l.Size
		m.Layers = append(m.Layers, l)
	}
	b, _ := json.MarshalIndent(m, "", "   ")
	return &ECRImage{Digest: manifestDigest(string(b)), Manifest: string(b), MediaType: dockerManifestV2, PushedAt: s.now, Size: size}
}

func manifestDigest(m string) string {
	sum := sha256.Sum256([]byte(m))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// manifestSize adds up the config and layer sizes a manifest declares.
func manifestSize(m string) int64 {
	var doc struct {
		Config struct {
			Size int64 `json:"size"`
		} `json:"config"`
		Layers []struct {
			Size int64 `json:"size"`
		} `json:"layers"`
	}
	if json.Unmarshal([]byte(m), &doc) != nil {
		return int64(len(m))
	}
	n := doc.Config.Size
	for _, l := range doc.Layers {
		n += l.Size
	}
	return n
}

// ecrPushNew stores a new image under tag (moving the tag if needed).
func (s *Sim) ecrPushNew(repo *ECRRepo, tag string) *ECRImage {
	im := s.ecrNewImage()
	repo.Images[im.Digest] = im
	if tag != "" {
		repo.Tags[tag] = im.Digest
	}
	return im
}

// tagsOf lists the tags pointing at digest, sorted.
func (r *ECRRepo) tagsOf(digest string) []string {
	var tags []string
	for t, d := range r.Tags {
		if d == digest {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	return tags
}

// PushImage pushes a new build of repo:tag (ecsctl sandbox push), as
// `docker push` would: the repository must exist, and an immutable one
// refuses a tag it already has.
func (s *Sim) PushImage(repo, tag string) (string, error) {
	s.Lock()
	defer s.Unlock()
	r := s.ecr.Repos[repo]
	if r == nil {
		return "", s.ecrRepoNotFound(repo)
	}
	if tag == "" {
		tag = "latest"
	}
	if _, taken := r.Tags[tag]; taken && r.Immutable {
		return "", s.ecrTagImmutable(repo, tag)
	}
	return s.ecrPushNew(r, tag).Digest, nil
}

// imageRef is a parsed image reference of this account's registry.
type imageRef struct {
	repo, tag, digest string
}

// parseECRImage parses <registry>/<repo>[:tag][@digest] when registry is
// this account's ECR registry; the tag defaults to latest when no digest is
// given.
func (s *Sim) parseECRImage(image string) (imageRef, bool) {
	host, rest, ok := strings.Cut(image, "/")
	if !ok || host != s.ECRRegistry() {
		return imageRef{}, false
	}
	return parseRepoRef(rest)
}

// parseRepoRef parses <repo>[:tag][@digest].
func parseRepoRef(rest string) (imageRef, bool) {
	var ref imageRef
	if i := strings.Index(rest, "@"); i >= 0 {
		ref.digest, rest = rest[i+1:], rest[:i]
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		ref.tag, rest = rest[i+1:], rest[:i]
	}
	if ref.tag == "" && ref.digest == "" {
		ref.tag = "latest"
	}
	ref.repo = rest
	return ref, rest != ""
}

// ecrImageStatus answers ECS: may a task pull image? Images of other
// registries always can.
func (s *Sim) ecrImageStatus(image string) ImageStatus {
	ref, ok := s.parseECRImage(image)
	if !ok {
		return s.ecrForeignImageStatus(image)
	}
	s.ecrPullThrough(ref)
	r := s.ecr.Repos[ref.repo]
	if r == nil {
		return ImageStatus{ECR: true}
	}
	if ref.digest != "" {
		// A pull by digest ignores the tag.
		return ImageStatus{ECR: true, Exists: r.Images[ref.digest] != nil}
	}
	_, exists := r.Tags[ref.tag]
	return ImageStatus{ECR: true, Exists: exists}
}

func decodeJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }
