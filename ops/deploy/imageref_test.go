package deploy

import "testing"

func TestParseImageRef(t *testing.T) {
	cases := []struct {
		in                      string
		registry, repo, tag, dg string
	}{
		{"nginx", "", "nginx", "", ""},
		{"nginx:1.27", "", "nginx", "1.27", ""},
		{"library/nginx:1.27", "", "library/nginx", "1.27", ""},
		{"host:5000/team/app:tag", "host:5000", "team/app", "tag", ""},
		{"host:5000/team/app", "host:5000", "team/app", "", ""},
		{"localhost/app:v1", "localhost", "app", "v1", ""},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/api:4f1c2a9", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "api", "4f1c2a9", ""},
		{"public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.0-prod", "public.ecr.aws", "appmesh/aws-appmesh-envoy", "v1.29.12.0-prod", ""},
		{"app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", "app", "", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"host:5000/app:v2@sha256:0123456789abcdef0123456789abcdef", "host:5000", "app", "v2", "sha256:0123456789abcdef0123456789abcdef"},
	}
	for _, c := range cases {
		r, err := ParseImageRef(c.in)
		if err != nil {
			t.Errorf("ParseImageRef(%q): %v", c.in, err)
			continue
		}
		if r.Registry != c.registry || r.Repository != c.repo || r.Tag != c.tag || r.Digest != c.dg {
			t.Errorf("ParseImageRef(%q) = %+v", c.in, r)
		}
		if r.String() != c.in {
			t.Errorf("ParseImageRef(%q).String() = %q", c.in, r.String())
		}
	}
	for _, bad := range []string{"", "App:1", "app:-x", "app:", "app@sha256:xyz", "host:5000/", "a b", "app:" + string(make([]byte, 130))} {
		if _, err := ParseImageRef(bad); err == nil {
			t.Errorf("ParseImageRef(%q) accepted", bad)
		}
	}
}

func TestImageRefECR(t *testing.T) {
	r, _ := ParseImageRef("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1")
	acct, region, ok := r.ECR()
	if !ok || acct != "123456789012" || region != "eu-west-1" {
		t.Fatalf("ECR() = %q %q %v", acct, region, ok)
	}
	r, _ = ParseImageRef("public.ecr.aws/x/y:1")
	if _, _, ok := r.ECR(); ok {
		t.Fatal("public ECR taken for a private registry")
	}
	if got := r.WithTag("2").String(); got != "public.ecr.aws/x/y:2" {
		t.Fatalf("WithTag = %q", got)
	}
}

func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"nginx", "host:5000/team/app:tag", "a@sha256:0123456789abcdef0123456789abcdef", "x:y:z", "/:@", "localhost:1/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseImageRef(s)
		if err != nil {
			return
		}
		// A parsed reference prints back to itself and parses the same.
		if r.String() != s {
			t.Fatalf("%q printed as %q", s, r.String())
		}
		again, err := ParseImageRef(r.String())
		if err != nil || again != r {
			t.Fatalf("%q reparsed as %+v, %v", s, again, err)
		}
	})
}
