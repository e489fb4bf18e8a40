package main

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseConfig checks .goreleaser.yaml's promises without goreleaser:
// the ldflags it sets land in `ecsctl version`, the binary is static, and
// the archive lists files that exist. (`goreleaser check` validates the
// schema where goreleaser is installed.)
func TestReleaseConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	data, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	for _, want := range []string{"version: 2", "CGO_ENABLED=0", "-trimpath", "- linux", "- darwin", "- amd64", "- arm64", "formats: [tar.gz]", "checksums.txt", "README.md", "LICENSE", "completion bash", "completion zsh", "completion fish"} {
		if !strings.Contains(cfg, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}
	for _, f := range []string{"README.md", "LICENSE"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("archive file %s: %v", f, err)
		}
	}
	m := regexp.MustCompile(`(?m)^\s*- (-s -w .*)$`).FindStringSubmatch(cfg)
	if m == nil {
		t.Fatal("no -s -w ldflags line in .goreleaser.yaml")
	}
	ldflags := strings.NewReplacer("{{.Version}}", "1.2.3", "{{.Commit}}", "abcdef0", "{{.Date}}", "2026-11-23T00:00:00Z").Replace(m[1])
	bin := filepath.Join(t.TempDir(), "ecsctl")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("ecsctl version: %v", err)
	}
	var v struct{ Version, Commit, Date string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version json: %v: %s", err, out)
	}
	if v.Version != "1.2.3" || v.Commit != "abcdef0" || v.Date != "2026-11-23T00:00:00Z" {
		t.Fatalf("ldflags did not land: %+v", v)
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Fatal("binary is dynamically linked (has an ELF interpreter)")
			}
		}
		if f.Section(".symtab") != nil {
			t.Error("binary is not stripped (-s)")
		}
	}
}
