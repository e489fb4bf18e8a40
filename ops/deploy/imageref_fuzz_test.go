package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"ecsctl/ops"
)

// Seeds: testdata/fuzz/FuzzImageRefWithTag. Longer:
//
//	go test ./ops/deploy -run XXX -fuzz FuzzImageRefWithTag -fuzztime 60s

// FuzzImageRefWithTag: whatever ParseImageRef accepts is a reference a
// registry accepts (name at most 255, registry a host[:port]), and putting a
// valid tag on it (what deploy --tag does) gives a reference that parses back
// to the same image with that tag and no digest.
func FuzzImageRefWithTag(f *testing.F) {
	f.Fuzz(func(t *testing.T, ref, tag string) {
		r, err := ParseImageRef(ref)
		if err != nil {
			var ie *ops.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseImageRef(%q): %T is not an input error", ref, err)
			}
			return
		}
		if len(r.Name()) > 255 || (r.Registry != "" && !registryRE.MatchString(r.Registry)) || strings.Contains(r.Name(), "..") {
			t.Fatalf("ParseImageRef(%q) accepted %+v", ref, r)
		}
		if ValidateTag(context.Background(), tag) != nil {
			return
		}
		tagged := r.WithTag(tag)
		back, err := ParseImageRef(tagged.String())
		if err != nil {
			t.Fatalf("%q with tag %q = %q, which does not parse: %v", ref, tag, tagged.String(), err)
		}
		if back.Name() != r.Name() || back.Tag != tag || back.Digest != "" {
			t.Fatalf("%q with tag %q reparsed as %+v", ref, tag, back)
		}
		a1, r1, ok1 := r.ECR()
		a2, r2, ok2 := back.ECR()
		if a1 != a2 || r1 != r2 || ok1 != ok2 {
			t.Fatalf("%q: retagging changed the ECR registry", ref)
		}
	})
}
