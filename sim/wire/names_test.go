package wire

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNamesGenerated checks that names.go is what go generate writes from the
// SDK versions in go.mod, so a bumped SDK cannot leave stale wire names.
func TestNamesGenerated(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the generator")
	}
	out := filepath.Join(t.TempDir(), "names.go")
	cmd := exec.Command(goBin, "run", "./internal/namesgen", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("namesgen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("names.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("names.go differs from the generator's output: run go generate ./sim/wire")
	}
}
