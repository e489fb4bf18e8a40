package deploy

import (
	"context"
	"strings"

	"ecsctl/ops"
)

// ImageRef is a container image reference: [registry/]repository[:tag][@digest].
type ImageRef struct {
	// Registry is the host (with port) when the reference names one, else "".
	Registry   string
	Repository string
	Tag        string
	Digest     string
}

// ParseImageRef splits an image reference. The tag is what follows the last
// ':' after the last '/', so registry ports ("host:5000/team/app:tag") are
// not mistaken for tags. The first path part is a registry when it has a
// '.' or a ':' or is "localhost".
func ParseImageRef(s string) (ImageRef, error) {
	var r ImageRef
	if s == "" {
		return r, ops.Inputf("empty image reference")
	}
	if strings.ContainsAny(s, " \t\n\r") {
		return r, ops.Inputf("image reference %q contains white space: remove it", s)
	}
	rest := s
	if at := strings.Index(rest, "@"); at >= 0 {
		r.Digest = rest[at+1:]
		rest = rest[:at]
		if !digestRE.MatchString(r.Digest) {
			return ImageRef{}, ops.Inputf("image reference %q: digest %q is not algorithm:hex (like sha256:…)", s, r.Digest)
		}
	}
	slash := strings.LastIndex(rest, "/")
	if colon := strings.LastIndex(rest, ":"); colon > slash {
		r.Tag = rest[colon+1:]
		rest = rest[:colon]
		if !tagRE.MatchString(r.Tag) {
			return ImageRef{}, ops.Inputf("image reference %q: tag %q is not valid (letters, digits, _ . -, at most 128, not starting with . or -)", s, r.Tag)
		}
	}
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !registryRE.MatchString(first) {
			return ImageRef{}, ops.Inputf("image reference %q: registry %q is not a host name with an optional :port (like 123456789012.dkr.ecr.us-east-1.amazonaws.com)", s, first)
		}
		r.Registry = first
		rest = after
	}
	r.Repository = rest
	if r.Repository == "" || !repoRE.MatchString(r.Repository) {
		return ImageRef{}, ops.Inputf("image reference %q: repository %q is not valid (lower-case path like team/app)", s, r.Repository)
	}
	if n := len(r.Name()); n > 255 {
		return ImageRef{}, ops.Inputf("image reference %.40q…: the name is %d characters, registries allow at most 255", s, n)
	}
	return r, nil
}

var (
	tagRE    = ops.NewLazyRE(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = ops.NewLazyRE(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$`)
	repoRE   = ops.NewLazyRE(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	// registryRE is a DNS name or IPv4 address with an optional port.
	registryRE = ops.NewLazyRE(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$`)
	ecrRE      = ops.NewLazyRE(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)
)

// String puts the reference back together.
func (r ImageRef) String() string {
	var b strings.Builder
	if r.Registry != "" {
		b.WriteString(r.Registry)
		b.WriteByte('/')
	}
	b.WriteString(r.Repository)
	if r.Tag != "" {
		b.WriteByte(':')
		b.WriteString(r.Tag)
	}
	if r.Digest != "" {
		b.WriteByte('@')
		b.WriteString(r.Digest)
	}
	return b.String()
}

// Name is the reference without tag and digest (registry/repository).
func (r ImageRef) Name() string {
	if r.Registry == "" {
		return r.Repository
	}
	return r.Registry + "/" + r.Repository
}

// WithTag returns the reference with tag set and any digest removed.
func (r ImageRef) WithTag(tag string) ImageRef {
	r.Tag, r.Digest = tag, ""
	return r
}

// ECR reports the account and region when the registry is an Amazon ECR
// private registry.
func (r ImageRef) ECR() (account, region string, ok bool) {
	m := ecrRE.FindStringSubmatch(r.Registry)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ValidateTag checks a tag given on the command line.
func ValidateTag(ctx context.Context, tag string) error {
	if !tagRE.MatchString(tag) {
		return ops.Inputf("invalid %s %q: use letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-'), e.g. %s $GIT_COMMIT", ops.Opt(ctx, "Tag"), tag, ops.Opt(ctx, "Tag"))
	}
	return nil
}

// MutableLookingTag reports tags that are commonly moved from image to
// image, which make "what is running" unknowable.
func MutableLookingTag(tag string) bool {
	switch strings.ToLower(tag) {
	case "latest", "stable", "main", "master", "dev", "develop", "prod", "production", "staging", "test", "release", "current", "edge", "nightly", "head":
		return true
	}
	return false
}
