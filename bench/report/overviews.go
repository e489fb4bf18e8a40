package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// measureOverviews builds ecsctl, serves the large world from a separate
// `ecsctl sandbox` process and runs each overview command n times, printing
// per command the median wall time, API calls by operation (from the
// sandbox's request log) and the peak RSS of the ecsctl process.
func measureOverviews(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("overviews", flag.ContinueOnError)
	n := fs.Int("n", 5, "runs of each command")
	world := fs.String("world", "large", "sandbox world")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.Chdir(repoRoot()); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "ecsctl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "ecsctl")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	sb := exec.CommandContext(ctx, bin, "sandbox", "--world", *world, "--listen", addr)
	sb.Env = append(os.Environ(), "HOME="+tmp)
	var sbErr bytes.Buffer
	sb.Stderr = &sbErr
	if err := sb.Start(); err != nil {
		return err
	}
	defer func() { _ = sb.Process.Kill(); _ = sb.Wait() }()
	base := "http://" + addr
	if err := waitHealthy(ctx, base, 60*time.Second); err != nil {
		return fmt.Errorf("sandbox did not come up: %w\n%s", err, sbErr.String())
	}
	env := append(os.Environ(),
		"AWS_ENDPOINT_URL="+base, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench",
		"AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=", "AWS_PROFILE=", "HOME="+tmp, "NO_COLOR=1")

	cluster := *world
	service, err := firstService(ctx, bin, env, cluster)
	if err != nil {
		return err
	}
	commands := [][]string{
		{"clusters"},
		{"services", "-c", cluster},
		{"instances", "-c", cluster},
		{"capacity", "-c", cluster},
		{"status", "-c", cluster, "-s", service},
		{"events", "-c", cluster, "-s", service},
	}
	fmt.Fprintf(w, "machine: %s world, ecsctl and the sandbox in separate processes, %d runs each\n", *world, *n)
	for _, c := range commands {
		var walls, rss []float64
		var calls map[string]int
		for i := 0; i < *n; i++ {
			if _, err := controlGet(ctx, base+"/_sandbox/requests?reset=1&limit=0"); err != nil {
				return err
			}
			cmd := exec.CommandContext(ctx, bin, c...)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stdout = io.Discard
			cmd.Stderr = &stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("ecsctl %s: %w: %s", strings.Join(c, " "), err, strings.TrimSpace(stderr.String()))
			}
			walls = append(walls, float64(time.Since(start).Microseconds())/1000)
			rss = append(rss, maxRSSMB(cmd.ProcessState))
			body, err := controlGet(ctx, base+"/_sandbox/requests?limit=0")
			if err != nil {
				return err
			}
			var rl struct {
				Counts map[string]int `json:"counts"`
			}
			if err := json.Unmarshal(body, &rl); err != nil {
				return fmt.Errorf("request log: %w", err)
			}
			calls = rl.Counts
		}
		name := c[0]
		total := 0
		var ops []string
		for op, k := range calls {
			total += k
			ops = append(ops, op)
		}
		sort.Strings(ops)
		fmt.Fprintf(w, "%s wall: %.1f ms\n", name, median(walls))
		fmt.Fprintf(w, "%s API calls: %d calls\n", name, total)
		for _, op := range ops {
			short := op[strings.LastIndex(op, ".")+1:]
			fmt.Fprintf(w, "%s %s calls: %d calls\n", name, short, calls[op])
		}
		if r := median(rss); r > 0 {
			fmt.Fprintf(w, "%s max RSS: %.1f MB\n", name, r)
		}
	}
	return nil
}

func firstService(ctx context.Context, bin string, env []string, cluster string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "services", "-c", cluster, "-o", "json")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("ecsctl services -o json: %w", err)
	}
	// The JSON report holds service names under "name" keys; take the
	// first one in document order.
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", errors.New("no service name in `ecsctl services -o json`")
		}
		if k, ok := tok.(string); ok && (k == "name" || k == "Name" || k == "service") {
			if v, err := dec.Token(); err == nil {
				if s, ok := v.(string); ok && s != "" {
					return s, nil
				}
			}
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(ctx context.Context, base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, err := controlGet(ctx, base+"/_sandbox/health"); err == nil {
			return nil
		} else if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func controlGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}
