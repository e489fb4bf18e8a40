package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/render"
	"ecsctl/sim"
)

// The fault matrix runs many sandboxes at once. The in-process run() points
// ecsctl at its sandbox through the process environment (t.Setenv), which
// rules out running cells side by side, and most of a cell's time is spent
// waiting out the SDK's retry back-off, not computing. So each cell runs
// ecsctl as a child process — this test binary itself, which turns into
// ecsctl when faultsChildArgs is set — with its own environment.
const (
	faultsChildArgs = "ECSCTL_FAULTS_CHILD_ARGS" // JSON list of ecsctl's arguments
	faultsChildNow  = "ECSCTL_FAULTS_CHILD_NOW"  // RFC 3339: pin the overviews' clock
)

// init turns the test binary into ecsctl for a child run. Test files are
// compiled after the package's own files, so every command's init (its
// addCommand) has run by now.
func init() {
	raw := os.Getenv(faultsChildArgs)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", faultsChildArgs, err)
		os.Exit(99)
	}
	if now := os.Getenv(faultsChildNow); now != "" {
		t, err := time.Parse(time.RFC3339Nano, now)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", faultsChildNow, err)
			os.Exit(99)
		}
		overviewClock = overviewFixedClock{t}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, append([]string{"ecsctl"}, args...), render.System())
	stop()
	os.Exit(code)
}

// faultsBox is a sandbox served without touching the process environment,
// behind a handler that can lose answers (see faultsLoser).
type faultsBox struct {
	*sandbox
	loser *faultsLoser
	asg   *autoscaling.Client
	ec2   *ec2.Client
	aas   *applicationautoscaling.Client
	now   time.Time // pinned clock for the child's overviews (zero: real)
}

// faultsStart loads w into a new account and serves it on loopback.
func faultsStart(t *testing.T, w *sim.World, opts sim.Options) *faultsBox {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Speed == 0 && !opts.ManualClock {
		opts.Speed = e2eSpeed
	}
	if opts.PageSize == 0 {
		opts.PageSize = 5
	}
	s := sim.New(opts)
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	loser := &faultsLoser{next: sim.NewServer(s, sim.DefaultRegistry)}
	srv := httptest.NewServer(loser)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL),
		// The test's own reads retry as ecsctl does (the sandbox may throttle).
		Retryer: retryer(max(s.Speed(), 2))}
	return &faultsBox{
		sandbox: &sandbox{t: t, sim: s, url: srv.URL, ecs: ecs.NewFromConfig(cfg), ecr: ecr.NewFromConfig(cfg)},
		loser:   loser,
		asg:     autoscaling.NewFromConfig(cfg),
		ec2:     ec2.NewFromConfig(cfg),
		aas:     applicationautoscaling.NewFromConfig(cfg),
	}
}

// faultsWorld returns a built-in world.
func faultsWorld(t *testing.T, name string) *sim.World {
	t.Helper()
	w, err := sim.BuiltinWorld(name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// setFaults sets the sandbox's fault spec; the pseudo-key lost=first makes
// faultsLoser drop the first answer of every mutating call after the work.
func (b *faultsBox) setFaults(spec string) {
	b.t.Helper()
	var simSpec []string
	lose := false
	for _, e := range strings.Split(spec, ",") {
		switch e = strings.TrimSpace(e); {
		case e == "lost=first":
			lose = true
		case e != "":
			simSpec = append(simSpec, e)
		}
	}
	f, err := sim.ParseFaults(strings.Join(simSpec, ","))
	if err != nil {
		b.t.Fatal(err)
	}
	b.sim.SetFaults(f)
	b.loser.set(lose)
}

// run runs ecsctl as a child process against the sandbox.
func (b *faultsBox) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	limit := 10 * time.Minute
	if faultsSoak() {
		limit = time.Hour // the demo world under throttling
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := exec.CommandContext(ctx, os.Args[0])
	c.Env = []string{
		faultsChildArgs + "=" + string(raw),
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		"AWS_ENDPOINT_URL=" + b.url, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"NO_COLOR=1", "ECSCTL_SANDBOX_SPEED=" + strconv.FormatFloat(b.sim.Speed(), 'f', -1, 64),
	}
	if !b.now.IsZero() {
		c.Env = append(c.Env, faultsChildNow+"="+b.now.Format(time.RFC3339Nano))
	}
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	if ctx.Err() != nil {
		t.Fatalf("ecsctl %s: still running after %s\n%s", strings.Join(args, " "), limit, errOut.String())
	}
	code = c.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("ecsctl %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errOut.String()
}

// faultsLoser sits in front of the sandbox. When on, it lets the sandbox do
// the work of the first attempt of every mutating call and then drops the
// connection without the answer: the SDK sees a connection reset and retries,
// so the mutation reaches AWS twice — what a reset after the server's work
// does to a real client (the sandbox's own reset fault drops calls before
// the work).
type faultsLoser struct {
	next http.Handler
	mu   sync.Mutex
	on   bool
	lost []string // the operation of every answer dropped
}

func (l *faultsLoser) set(on bool) {
	l.mu.Lock()
	l.on = on
	l.mu.Unlock()
}

// lostAnswers lists the operations whose answers were dropped.
func (l *faultsLoser) lostAnswers() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lost...)
}

func (l *faultsLoser) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	on := l.on
	l.mu.Unlock()
	if !on || strings.HasPrefix(r.URL.Path, "/_sandbox") {
		l.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := faultsOpName(r, body)
	first := strings.Contains(r.Header.Get("Amz-Sdk-Request"), "attempt=1;")
	if !first || !faultsMutating(op) {
		l.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	l.next.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK { // refused or faulted: nothing done, pass it on
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	l.mu.Lock()
	l.lost = append(l.lost, op)
	l.mu.Unlock()
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// faultsOpName names a request's operation from its wire form.
func faultsOpName(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t
	}
	if i := strings.LastIndex(r.URL.Path, "/operation/"); i >= 0 {
		return "cloudwatch." + r.URL.Path[i+len("/operation/"):]
	}
	if strings.HasPrefix(r.URL.Path, "/schedules") { // Scheduler's restJson1
		return "scheduler." + map[string]string{http.MethodGet: "GetSchedule", http.MethodPost: "CreateSchedule",
			http.MethodPut: "UpdateSchedule", http.MethodDelete: "DeleteSchedule"}[r.Method]
	}
	form, _ := url.ParseQuery(string(body))
	return form.Get("Action")
}

// faultsMutating tells read calls (which never change anything) from the rest.
func faultsMutating(op string) bool {
	if i := strings.LastIndexAny(op, "."); i >= 0 {
		op = op[i+1:]
	}
	for _, p := range []string{"Describe", "List", "Get", "Filter", "BatchGet", "Search", "Lookup"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return op != ""
}

// faultsState is what an operator checks after a command: every service's
// revision, images and counts, the task definitions left registered, the
// container instances by status and AMI, the Auto Scaling group's sizes,
// protection, suspended processes and ecsctl tags. Two runs of the same
// command, with and without faults, must end in equal states.
type faultsState struct {
	Services   map[string]string  `json:"services"`  // name → "family:rev images desired/running deployments rollout"
	TaskDefs   map[string][]int32 `json:"taskDefs"`  // family → ACTIVE revisions
	Instances  map[string]int     `json:"instances"` // "STATUS ami" → count
	ASG        string             `json:"asg"`       // "desired/min/max"
	Protected  int                `json:"protected"` // in-service instances protected from scale-in
	Suspended  []string           `json:"suspended"`
	Tags       []string           `json:"tags"`       // ecsctl:* tags left on the group
	Standalone map[string]int     `json:"standalone"` // standalone task family → RUNNING count
	// LaunchTemplate: the group's launch template version and how many
	// versions the template has.
	LaunchTemplate string `json:"launchTemplate"`
	// Autoscaling: service → "min/max" of its Application Auto Scaling target.
	Autoscaling map[string]string `json:"autoscaling"`
}

func (s faultsState) String() string {
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}

// settle waits (real-time bound, the clock runs at e2eSpeed) until every
// service of the cluster is steady and no instance is launching or leaving,
// then reads the state.
func (b *faultsBox) settle(t *testing.T, cluster, asg string) faultsState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var st faultsState
	for {
		var calm bool
		st, calm = b.read(t, cluster, asg)
		if calm {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox never settled:\n%s", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// read reads the state and says whether nothing is in motion.
func (b *faultsBox) read(t *testing.T, cluster, asgName string) (faultsState, bool) {
	t.Helper()
	ctx := context.Background()
	st := faultsState{Services: map[string]string{}, TaskDefs: map[string][]int32{}, Standalone: map[string]int{}}
	calm := true
	var arns []string
	p := ecs.NewListServicesPaginator(b.ecs, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, page.ServiceArns...)
	}
	families := map[string]bool{}
	for i := 0; i < len(arns); i += 10 {
		out, err := b.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: arns[i:min(i+10, len(arns))]})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Services {
			td, _ := b.taskDef(aws.ToString(s.TaskDefinition))
			var images []string
			for _, c := range td.ContainerDefinitions {
				images = append(images, aws.ToString(c.Name)+"="+aws.ToString(c.Image))
			}
			rollout := ""
			if len(s.Deployments) > 0 {
				rollout = string(s.Deployments[0].RolloutState)
			}
			st.Services[aws.ToString(s.ServiceName)] = fmt.Sprintf("%s:%d %s desired=%d running=%d deployments=%d %s",
				aws.ToString(td.Family), td.Revision, strings.Join(images, ","), s.DesiredCount, s.RunningCount, len(s.Deployments), rollout)
			families[aws.ToString(td.Family)] = true
			steady := len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
			if len(s.Deployments) == 0 && len(s.TaskSets) == 1 {
				// CODE_DEPLOY and EXTERNAL services show task sets instead.
				steady = s.TaskSets[0].StabilityStatus == types.StabilityStatusSteadyState
			}
			if !steady || s.RunningCount != s.DesiredCount || s.PendingCount != 0 {
				calm = false
			}
		}
	}
	for fam := range families {
		tp := ecs.NewListTaskDefinitionsPaginator(b.ecs, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(fam), Status: types.TaskDefinitionStatusActive})
		for tp.HasMorePages() {
			page, err := tp.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, arn := range page.TaskDefinitionArns {
				f, rev := faultsFamilyRev(arn)
				if f == fam {
					st.TaskDefs[fam] = append(st.TaskDefs[fam], rev)
				}
			}
		}
		sort.Slice(st.TaskDefs[fam], func(i, j int) bool { return st.TaskDefs[fam][i] < st.TaskDefs[fam][j] })
	}
	// Standalone tasks (started by RunTask, group not service:*).
	tl := ecs.NewListTasksPaginator(b.ecs, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
	var tasks []string
	for tl.HasMorePages() {
		page, err := tl.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, page.TaskArns...)
	}
	for i := 0; i < len(tasks); i += 100 {
		out, err := b.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: tasks[i:min(i+100, len(tasks))]})
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range out.Tasks {
			g := aws.ToString(task.Group)
			if !strings.HasPrefix(g, "service:") && aws.ToString(task.LastStatus) == "RUNNING" {
				f, _ := faultsFamilyRev(aws.ToString(task.TaskDefinitionArn))
				st.Standalone[f]++
			}
			if ls := aws.ToString(task.LastStatus); !strings.HasPrefix(g, "service:") && (ls == "PROVISIONING" || ls == "PENDING") {
				calm = false // a one-off task (ecsctl run --no-wait) still starting
			}
		}
	}
	aas, err := b.aas.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil {
		t.Fatal(err)
	}
	st.Autoscaling = map[string]string{}
	for _, tg := range aas.ScalableTargets {
		st.Autoscaling[aws.ToString(tg.ResourceId)] = fmt.Sprintf("%d/%d", aws.ToInt32(tg.MinCapacity), aws.ToInt32(tg.MaxCapacity))
	}
	st.Instances = b.rotateAMIs(cluster)
	for k := range st.Instances {
		if !strings.HasPrefix(k, "ACTIVE ") {
			calm = false
		}
	}
	if asgName != "" {
		out, err := b.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{asgName}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			t.Fatalf("describe asg %s: %v", asgName, err)
		}
		g := out.AutoScalingGroups[0]
		st.ASG = fmt.Sprintf("%d/%d/%d", aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize))
		inService := 0
		for _, m := range g.Instances {
			if m.LifecycleState == "InService" {
				inService++
				if aws.ToBool(m.ProtectedFromScaleIn) {
					st.Protected++
				}
			}
		}
		if inService != len(g.Instances) || inService != int(aws.ToInt32(g.DesiredCapacity)) {
			calm = false
		}
		if lt := g.LaunchTemplate; lt != nil {
			d, err := b.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{aws.ToString(lt.LaunchTemplateId)}})
			if err != nil || len(d.LaunchTemplates) != 1 {
				t.Fatalf("describe launch template %s: %v", aws.ToString(lt.LaunchTemplateId), err)
			}
			st.LaunchTemplate = fmt.Sprintf("version %s of %d", aws.ToString(lt.Version), aws.ToInt64(d.LaunchTemplates[0].LatestVersionNumber))
		}
		for _, sp := range g.SuspendedProcesses {
			st.Suspended = append(st.Suspended, aws.ToString(sp.ProcessName))
		}
		sort.Strings(st.Suspended)
		for _, tg := range g.Tags {
			if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
				st.Tags = append(st.Tags, aws.ToString(tg.Key))
			}
		}
		sort.Strings(st.Tags)
	}
	return st, calm
}

// faultsFamilyRev splits a task definition ARN into family and revision.
func faultsFamilyRev(arn string) (string, int32) {
	name := arn[strings.LastIndex(arn, "/")+1:]
	fam, rev, _ := strings.Cut(name, ":")
	var n int32
	fmt.Sscan(rev, &n)
	return fam, n
}

// invariants fails t when the sandbox's report shows a broken promise: a
// service below its minimum healthy percent, an instance terminated with
// service tasks on it, or a task killed without a replacement.
// allowed lists the services a scenario takes below minimum by its input.
func (b *faultsBox) invariants(t *testing.T, allowed []string) {
	t.Helper()
	rep := b.sim.Report()
	var below []string
	for _, v := range rep.Violations {
		if !slices.Contains(allowed, v) {
			below = append(below, v)
		}
	}
	if len(below) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, terminated with tasks %+v, killed without replacement %+v",
			below, rep.TerminatedWithTasks, rep.KilledNoReplacement)
		var asg []string
		for _, e := range rep.Timeline {
			if strings.HasPrefix(e.Kind, "asg.") {
				asg = append(asg, e.At.Format(time.TimeOnly)+" "+e.Kind+" "+e.Detail)
			}
		}
		t.Logf("the Auto Scaling group's timeline:\n%s", strings.Join(asg[max(0, len(asg)-40):], "\n"))
	}
}

// faultCounts counts the injected faults by kind, with the answers lost.
func (b *faultsBox) faultCounts() map[string]int {
	n := map[string]int{}
	for _, r := range b.sim.Requests() {
		if r.Fault != "" {
			n[r.Fault]++
		}
	}
	if l := len(b.loser.lostAnswers()); l > 0 {
		n["lost"] = l
	}
	return n
}
