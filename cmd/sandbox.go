package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/urfave/cli/v2"

	"ecsctl/ops/deploy"
	"ecsctl/render"
	"ecsctl/sim"
)

// DefaultSandboxAddr is where `ecsctl sandbox` listens and where --sandbox
// looks for a running one first.
const DefaultSandboxAddr = "127.0.0.1:4566"

// defaultInProcessSpeed: an in-process --sandbox runs 30 virtual seconds per
// real second, so a rolling deploy with a 300 s deregistration delay takes
// seconds, not minutes.
const defaultInProcessSpeed = 30

func init() { addCommand(newSandboxCmd) }

func newSandboxCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "sandbox",
		Usage: "serve a simulated AWS account (ECS, EC2, Auto Scaling, CloudWatch, Logs, ECR, SSM) for trying and testing ecsctl",
		Description: "Serves until interrupted and prints the environment to point ecsctl, the AWS CLI or any SDK at it.\n" +
			"Worlds: small, demo (a prod cluster of about 90 services on 50 instances, staging), large (1,000\n" +
			"services on 500 instances), or a JSON file (start from 'ecsctl sandbox world demo').\n\n" +
			"Faults: --faults 'throttle=0.2,error=0.05,latency=50ms,reset=0.01' (per service or operation too,\n" +
			"e.g. 'ecs.DescribeServices:throttle=0.5'); 'ecr.DescribeImages:deny=1' refuses the call as IAM\n" +
			"would (AccessDeniedException; EC2 UnauthorizedOperation). Change them live with POST /_sandbox/faults.\n" +
			"Invariants seen (services below minimum healthy, instances terminated with tasks): GET /_sandbox/report.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: DefaultSandboxAddr, Usage: "address to listen on (loopback)"},
			&cli.StringFlag{Name: "world", Value: "demo", Usage: "small, demo, large, or a world JSON file"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed for IDs and random events"},
			&cli.Float64Flag{Name: "speed", Value: 1, Usage: "virtual seconds per real second"},
			&cli.StringFlag{Name: "state", Usage: "load the account from this file if it exists, and save it there on exit"},
			&cli.StringFlag{Name: "faults", Usage: "fault injection spec, e.g. throttle=0.2,error=0.05,latency=50ms"},
			&cli.IntFlag{Name: "page-size", Value: 100, Usage: "largest page a List call returns (small values exercise paging)"},
		},
		Subcommands: []*cli.Command{
			{
				Name:      "push",
				Usage:     "push an image tag to the sandbox's ECR (what a pipeline's docker push does)",
				ArgsUsage: "REPOSITORY:TAG",
				Action:    func(c *cli.Context) error { return a.sandboxPush(c) },
			},
			{
				Name:      "world",
				Usage:     "print a built-in world as JSON, to edit and load with --world FILE",
				ArgsUsage: "small|demo|large",
				Action: func(c *cli.Context) error {
					name := c.Args().First()
					if c.NArg() > 1 {
						return usagef("sandbox world takes one world name, got %d arguments: e.g. ecsctl sandbox world demo > my-world.json", c.NArg())
					}
					if name == "" {
						name = "demo"
					}
					w, err := sim.BuiltinWorld(name)
					if err != nil {
						return usagef("%v", err)
					}
					return render.JSON(a.io.Out, w)
				},
			},
		},
		Action: func(c *cli.Context) error { return a.serveSandbox(c) },
	}
}

// loadWorld reads a built-in world or a JSON file; errors are usage errors.
func loadWorld(name string) (*sim.World, error) {
	if w, err := sim.BuiltinWorld(name); err == nil {
		return w, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("invalid --world %q: not small, demo or large, and not a readable file (%v): give one of those names or a world JSON file", name, errors.Unwrap(err))
	}
	w, err := sim.ParseWorld(data)
	if err != nil {
		return nil, usagef("invalid world file %s: %v (fix it, or start from 'ecsctl sandbox world demo > my-world.json')", name, err)
	}
	return w, nil
}

// newSandboxSim builds a sandbox from a world. idleReal (a sandbox kept
// across commands or days) runs its clock at speed only while work is queued.
func newSandboxSim(world string, seed int64, speed float64, pageSize int, faults string, idleReal bool) (*sim.Sim, error) {
	w, err := loadWorld(world)
	if err != nil {
		return nil, err
	}
	s := sim.New(sim.Options{Seed: seed, Speed: speed, PageSize: pageSize, RealTimeWhenIdle: idleReal})
	if err := s.LoadWorld(w); err != nil {
		return nil, usagef("invalid world %s: %v (fix it, or start from 'ecsctl sandbox world demo > my-world.json')", world, err)
	}
	if faults != "" {
		f, err := sim.ParseFaults(faults)
		if err != nil {
			return nil, usagef("invalid --faults: %v", err)
		}
		s.SetFaults(f)
	}
	return s, nil
}

func (a *app) serveSandbox(c *cli.Context) error {
	speed := c.Float64("speed")
	if !(speed > 0 && speed <= 10000) { // NaN too
		return usagef("invalid --speed %v: want a number above 0 (virtual seconds per real second), at most 10000", speed)
	}
	if ps := c.Int("page-size"); ps < 1 || ps > 100 {
		return usagef("invalid --page-size %d: want 1 to 100", ps)
	}
	if f := c.String("faults"); f != "" {
		if _, err := sim.ParseFaults(f); err != nil {
			return usagef("invalid --faults: %v", err)
		}
	}
	statePath := c.String("state")
	var s *sim.Sim
	var err error
	if statePath != "" {
		if data, rerr := os.ReadFile(statePath); rerr == nil {
			s, err = sim.Load(bytes.NewReader(data), sim.Options{Speed: speed, PageSize: c.Int("page-size"), RealTimeWhenIdle: true})
			if err != nil {
				return usagef("invalid --state %s: %v (fix or delete the file to start afresh from --world)", statePath, err)
			}
			fmt.Fprintf(a.io.Err, "loaded the sandbox account from %s\n", statePath)
		}
	}
	if s == nil {
		s, err = newSandboxSim(c.String("world"), c.Int64("seed"), speed, c.Int("page-size"), c.String("faults"), statePath != "")
		if err != nil {
			return err
		}
	} else if f := c.String("faults"); f != "" {
		fs, _ := sim.ParseFaults(f)
		s.SetFaults(fs)
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return usagef("cannot listen on %s: %v (is another sandbox running? pick another --listen)", c.String("listen"), err)
	}
	srv := &http.Server{Handler: sim.NewServer(s, sim.DefaultRegistry), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	endpoint := "http://" + ln.Addr().String()
	fmt.Fprintf(a.io.Out, "export AWS_ENDPOINT_URL=%s\nexport AWS_REGION=%s\nexport AWS_ACCESS_KEY_ID=sandbox\nexport AWS_SECRET_ACCESS_KEY=sandbox\n", endpoint, s.Region)
	fmt.Fprintf(a.io.Err, "sandbox serving world %q at %s (speed %vx); Ctrl-C stops it\n", c.String("world"), endpoint, speed)

	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-c.Context.Done():
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
			if statePath != "" {
				if err := saveSim(s, statePath); err != nil {
					return err
				}
				fmt.Fprintf(a.io.Err, "saved the sandbox account to %s\n", statePath)
			}
			return nil
		case <-tick.C:
			if statePath != "" {
				if err := saveSim(s, statePath); err != nil {
					fmt.Fprintf(a.io.Err, "warning: %v\n", err)
				}
			}
		}
	}
}

// saveSim writes the account atomically (temp file, then rename).
func saveSim(s *sim.Sim, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid())
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if err := s.Save(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save sandbox state: %w", err)
	}
	return os.Rename(tmp, path)
}

// sandboxStatePath is where consecutive --sandbox commands keep the account.
func (a *app) sandboxStatePath() (string, error) {
	if p := a.io.Getenv("ECSCTL_SANDBOX_STATE"); p != "" {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", &awsSetupError{msg: "no cache directory for the sandbox state: set ECSCTL_SANDBOX_STATE to a file path"}
	}
	return filepath.Join(dir, "ecsctl", "sandbox-state.json"), nil
}

// startSandbox gives --sandbox its endpoint: a sandbox already listening on
// the default address, or one started in this process from the saved state
// (or the demo world), saved again when the command ends.
func (a *app) startSandbox(c *cli.Context) (string, error) {
	if a.sandbox != nil {
		return a.sandbox.endpoint, nil
	}
	if a.io.Getenv("ECSCTL_SANDBOX_NO_PROBE") == "" && sandboxListening("http://"+DefaultSandboxAddr) {
		a.sandbox = &sandboxSession{endpoint: "http://" + DefaultSandboxAddr}
		return a.sandbox.endpoint, nil
	}
	path, err := a.sandboxStatePath()
	if err != nil {
		return "", err
	}
	speed := float64(defaultInProcessSpeed)
	if v := a.io.Getenv("ECSCTL_SANDBOX_SPEED"); v != "" {
		speed, err = strconv.ParseFloat(v, 64)
		if err != nil || !(speed > 0 && speed <= 10000) { // NaN and Inf too
			return "", usagef("invalid ECSCTL_SANDBOX_SPEED %q: want a number above 0, at most 10000", v)
		}
	}
	var s *sim.Sim
	if data, rerr := os.ReadFile(path); rerr == nil {
		s, err = sim.Load(bytes.NewReader(data), sim.Options{Speed: speed, RealTimeWhenIdle: true})
		if err != nil {
			fmt.Fprintf(a.io.Err, "note: starting a fresh sandbox (%v)\n", err)
			s = nil
		}
	}
	if s == nil {
		world := a.io.Getenv("ECSCTL_SANDBOX_WORLD")
		if world == "" {
			world = "demo"
		}
		s, err = newSandboxSim(world, 1, speed, 100, "", true)
		if err != nil {
			return "", err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", &awsSetupError{msg: fmt.Sprintf("start the in-process sandbox: %v", err)}
	}
	srv := &http.Server{Handler: sim.NewServer(s, sim.DefaultRegistry), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	a.sandbox = &sandboxSession{
		endpoint: "http://" + ln.Addr().String(),
		closeFn: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			return saveSim(s, path)
		},
	}
	return a.sandbox.endpoint, nil
}

func sandboxListening(endpoint string) bool {
	client := &http.Client{Timeout: 300 * time.Millisecond}
	resp, err := client.Get(endpoint + "/_sandbox/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// sandboxPush tags an image in the sandbox's ECR through the ECR API.
func (a *app) sandboxPush(c *cli.Context) error {
	arg := c.Args().First()
	repo, tag, ok := strings.Cut(arg, ":")
	if c.NArg() != 1 || !ok || repo == "" || tag == "" {
		return usagef("sandbox push needs REPOSITORY:TAG, e.g. ecsctl sandbox push api:7d3e9b1")
	}
	if err := deploy.ValidateTag(c.Context, tag); err != nil {
		return err
	}
	if !flagBool(c, "sandbox") && a.io.Getenv("AWS_ENDPOINT_URL") == "" && a.io.Getenv("AWS_ENDPOINT_URL_ECR") == "" {
		return usagef("sandbox push talks to a sandbox only: pass --sandbox or set AWS_ENDPOINT_URL to the sandbox")
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"sha256:%064x"},"layers":[]}`, time.Now().UnixNano())
	out, err := cl.ECR.PutImage(c.Context, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag), ImageManifest: aws.String(manifest)})
	if err != nil {
		return fmt.Errorf("put image %s:%s: %w", repo, tag, err)
	}
	fmt.Fprintf(a.io.Out, "pushed %s:%s %s\n", repo, tag, aws.ToString(out.Image.ImageId.ImageDigest))
	return nil
}
