package logs

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// Tailer reads the awslogs streams of a service's (or some tasks')
// containers: a time range, or following them.
//
// Following keeps no timestamp cursor that late events could slip behind.
// Every server time below is CloudWatch's own (event timestamps and
// ingestion times), never the local clock, so clock skew does not matter:
//   - the watermark is the latest ingestion time seen;
//   - a shallow poll reads from watermark − Shallow, for low latency;
//   - every DeepEvery-th poll is deep: it reads from B − Overlap, where B is
//     the watermark before the previous deep poll. An event ingested after
//     that poll started has a timestamp ≥ its ingestion − Overlap ≥ B − Overlap
//     as long as it was at most Overlap late, so no event is missed;
//   - events are de-duplicated by event id; ids older than the next deep
//     poll's start are forgotten, so memory is bounded by the window.
type Tailer struct {
	ECS ECS
	// Logs returns the CloudWatch Logs client of a region (awslogs-region
	// may differ from the CLI's region).
	Logs   func(region string) API
	Region string
	Clock  ops.Clock

	// PollInterval between polls when following (default 2s).
	PollInterval time.Duration
	// Overlap is how late an event may be ingested and still be shown
	// (default 1m).
	Overlap time.Duration
	// Shallow is the look-back of the polls between deep ones (default 5s).
	Shallow time.Duration
	// DeepEvery makes every n-th poll a deep one (default 4).
	DeepEvery int
	// OrderWindow holds events at most this long (server time) so that
	// events of other streams arriving in the next poll are printed in
	// order: as long as recent events were ingested after their timestamps
	// (logs_hold.go). 0: print at once.
	OrderWindow time.Duration
	// RelistEvery re-lists the service's tasks every n polls (default 3).
	RelistEvery int
	// MaxBackoff caps the poll interval while throttled (default 1m).
	MaxBackoff time.Duration
	// Parallel chunks of 100 streams are read at once (default 4).
	Parallel int
	// RangeSlice is no longer used: a range read streams (logs_range.go),
	// its memory bounded by a few pages per chunk of streams.
	RangeSlice time.Duration
	// DefaultSince is how far back a service's running tasks are read
	// without --since (default 10m).
	DefaultSince time.Duration
	// DefaultTaskWindow is how far back a task is read when neither
	// --since, the task's timestamps nor its streams say where its logs
	// start (default 24h).
	DefaultTaskWindow time.Duration

	// Emit receives events, in order, in batches. An error stops the tail.
	Emit func([]Line) error
	// Notice receives lines about the tail itself (may be nil).
	Notice func(ops.Event)

	req     Request
	res     *logsResolver
	tasks   map[string]*logsTask
	streams map[string]*logsStream
	dedup   *logsDedup
	wm      int64 // latest ingestion time seen (server ms)
	// serverDate is the latest Date header received (server ms).
	serverDate atomic.Int64
	since      int64
	until      int64
	hold       []Line
	// lastDeepBase is the watermark before the last deep poll: everything
	// ingested by then has been read.
	lastDeepBase int64
	// Calls counts AWS calls made (FilterLogEvents and the rest).
	Calls int

	// StartLive opens a CloudWatch Logs live tail session in a region; nil:
	// following always polls. See logs_live.go.
	StartLive func(ctx context.Context, region string, in *cloudwatchlogs.StartLiveTailInput) (LiveStream, error)
	// LiveTail is "auto" (the default: live tail where it fits, polling
	// otherwise) or "never".
	LiveTail string

	// gone: task ids no longer (or never to be) followed, so that a
	// re-list does not bring them back; pruned to ECS's stopped list.
	gone map[string]bool
	// liveCovered (server ms): everything ingested by then was delivered by
	// live tail sessions.
	liveCovered int64
	// printedLive, after live tail handed over to polling from before an
	// event it could not place: a polled event older than the de-dup
	// window's floor then (its entry forgotten) and ingested before
	// covered was printed by the session already (see keepFrom).
	printedLive struct{ floor, covered int64 }
	live        *logsLive
	// clock: proofs of the server's clock and recent ingestion lags, for
	// the ordering hold (logs_hold.go).
	clock logsClock
}

func (t *Tailer) defaults() {
	if t.Clock == nil {
		t.Clock = ops.RealClock{}
	}
	if t.PollInterval <= 0 {
		t.PollInterval = 2 * time.Second
	}
	if t.Overlap <= 0 {
		t.Overlap = time.Minute
	}
	if t.Shallow <= 0 {
		t.Shallow = 5 * time.Second
	}
	if t.DeepEvery <= 0 {
		t.DeepEvery = 4
	}
	if t.OrderWindow < 0 {
		t.OrderWindow = 0
	}
	if t.RelistEvery <= 0 {
		t.RelistEvery = 3
	}
	if t.MaxBackoff <= 0 {
		t.MaxBackoff = time.Minute
	}
	if t.Parallel <= 0 {
		t.Parallel = 4
	}
	if t.DefaultSince <= 0 {
		t.DefaultSince = 10 * time.Minute
	}
	if t.DefaultTaskWindow <= 0 {
		t.DefaultTaskWindow = 24 * time.Hour
	}
}

func (t *Tailer) logsAPI(region string) API { return t.Logs(region) }

func (t *Tailer) note(n ops.Event) {
	if n.Time.IsZero() {
		n.Time = t.Clock.Now()
	}
	if t.Notice != nil {
		t.Notice(n)
	}
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Tail prints the request's logs: the range (then returns nil), or, with
// Follow, until Until has passed, the tasks (of --task) have all stopped, or
// ctx is cancelled (ops.ErrInterrupted).
func (t *Tailer) Tail(ctx context.Context, req Request) (err error) {
	if err := ValidateRequest(ctx, req); err != nil {
		return err
	}
	t.defaults()
	t.req = req
	t.res = newLogsResolver(t.ECS, t.Region, req.Containers)
	t.tasks = map[string]*logsTask{}
	t.streams = map[string]*logsStream{}
	t.dedup = newLogsDedup()
	t.gone = map[string]bool{}
	if !req.Since.IsZero() {
		t.since = req.Since.UnixMilli()
	} else if req.Service != "" && !req.Previous {
		t.since = t.Clock.Now().Add(-t.DefaultSince).UnixMilli()
	}
	if !req.Until.IsZero() {
		t.until = req.Until.UnixMilli()
	}
	var stopped []string
	if req.Follow && req.Service != "" {
		// The service's stopped tasks before anything is listed: those
		// that stopped within the range are read with the running ones;
		// a task stopped later is new to a re-list, even one that started
		// after the first list and stopped before the second.
		if stopped, err = t.listTasks(ctx, types.DesiredStatusStopped); err != nil {
			return t.interrupted(ctx, err)
		}
	}
	tasks, err := t.initialTasks(ctx)
	if err != nil {
		return t.interrupted(ctx, err)
	}
	if len(stopped) > 0 {
		more, err := t.stoppedInRange(ctx, tasks, stopped)
		if err != nil {
			return t.interrupted(ctx, err)
		}
		tasks = append(tasks, more...)
	}
	for _, task := range tasks {
		if err := t.addTask(ctx, task, false); err != nil {
			return t.interrupted(ctx, err)
		}
	}
	if err := t.res.checkContainers(ctx); err != nil {
		return err
	}
	if len(t.streams) == 0 {
		if len(t.res.skipped) > 0 {
			return ops.Inputf("nothing to show: %s", t.res.skipped[0])
		}
		if !req.Follow {
			what := "running"
			if req.Previous {
				what = "recently stopped"
			}
			t.note(ops.Event{Kind: ops.EventInfo, Message: fmt.Sprintf("service %s/%s has no %s tasks", req.Cluster, req.Service, what)})
			return nil
		}
	}
	t.note(ops.Event{Kind: ops.EventInfo, Message: t.describeSet()})
	if !req.Follow {
		return t.interrupted(ctx, t.readRange(ctx))
	}
	return t.follow(ctx)
}

func (t *Tailer) interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w: %v", ops.ErrInterrupted, ctx.Err())
	}
	return err
}

func (t *Tailer) describeSet() string {
	groups := map[string]bool{}
	for _, s := range t.streams {
		groups[s.key.group] = true
	}
	var gs []string
	for g := range groups {
		gs = append(gs, g)
	}
	sort.Strings(gs)
	who := t.req.Cluster + "/" + t.req.Service
	if t.req.Service == "" {
		who = "cluster " + t.req.Cluster
	}
	verb := "reading"
	if t.req.Follow {
		verb = "following"
	}
	return fmt.Sprintf("%s %s of %s of %s in %s", verb, fmtx.Count(len(t.streams), "stream"), fmtx.Count(len(t.tasks), "task"), who, strings.Join(gs, ", "))
}

// initialTasks describes the tasks to start with.
func (t *Tailer) initialTasks(ctx context.Context) ([]types.Task, error) {
	req := t.req
	if req.Service == "" {
		ids := make([]string, 0, len(req.Tasks))
		for _, id := range req.Tasks {
			ids = append(ids, strings.TrimSpace(id))
		}
		t.Calls += (len(ids) + 99) / 100
		tasks, missing, err := describeLogsTasks(ctx, t.ECS, req.Cluster, ids)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, ops.NotFound(ctx, "task", req.Cluster+"/"+missing[0])
		}
		return tasks, nil
	}
	t.Calls++
	if err := checkService(ctx, t.ECS, req.Cluster, req.Service); err != nil {
		return nil, err
	}
	status := types.DesiredStatusRunning
	if req.Previous {
		status = types.DesiredStatusStopped
	}
	arns, err := t.listTasks(ctx, status)
	if err != nil {
		return nil, err
	}
	tasks, _, err := describeLogsTasks(ctx, t.ECS, req.Cluster, arns)
	t.Calls += (len(arns) + 99) / 100
	return tasks, err
}

// addTask starts reading a task's streams.
func (t *Tailer) addTask(ctx context.Context, task types.Task, joined bool) error {
	lt, streams, err := t.res.streams(ctx, task, t.note)
	if err != nil {
		return err
	}
	if _, dup := t.tasks[lt.id]; dup {
		return nil
	}
	t.tasks[lt.id] = lt
	from := max(t.since, lt.createdAt.UnixMilli())
	if lt.createdAt.IsZero() {
		from = t.since
	}
	if from <= 0 {
		// Nothing bounds the read (no --since and a task without any start
		// time): reading from 1970 would be half a million empty slices.
		var err error
		if from, err = t.unboundedStart(ctx, lt, streams); err != nil {
			return err
		}
	}
	for _, s := range streams {
		s.from = max(from, 0)
		if s.from == 0 {
			s.from = 1 // "not covered yet", from the beginning
		}
		if joined && lt.status != "RUNNING" {
			s.missing = true // its stream appears when its containers start
		}
		t.streams[s.key.region+"\x00"+s.key.group+"\x00"+s.name] = s
	}
	if joined {
		t.note(ops.Event{Kind: ops.EventJoined, Task: lt.id, Message: fmt.Sprintf("+ task %s (%s) joined", lt.id, lt.taskDef)})
	}
	if lt.status == "STOPPED" {
		t.markStopped(lt)
		t.noteStopped(lt)
	}
	return nil
}

// unboundedStart picks where to read a task without a start time from: the
// earliest first event (or creation) of its streams, else a bounded window
// (DefaultTaskWindow) before it stopped or before now, with a notice.
func (t *Tailer) unboundedStart(ctx context.Context, lt *logsTask, streams []*logsStream) (int64, error) {
	from := int64(-1)
	for _, s := range streams {
		ms, ok, err := t.streamStart(ctx, s)
		if err != nil {
			return 0, err
		}
		if ok && (from < 0 || ms < from) {
			from = ms
		}
	}
	if from > 0 {
		return from, nil
	}
	end := t.Clock.Now()
	if !lt.stoppedAt.IsZero() {
		end = lt.stoppedAt
	}
	start := end.Add(-t.DefaultTaskWindow)
	t.note(ops.Event{Kind: ops.EventInfo, Task: lt.id, Message: fmt.Sprintf("task %s has no start time and no log stream yet: reading from %s (give %s to read further back)", lt.id, start.UTC().Format(time.RFC3339), ops.Opt(ctx, "Since"))})
	return start.UnixMilli(), nil
}

func (t *Tailer) noteStopped(lt *logsTask) {
	why := lt.reason
	if why == "" {
		why = "no reason given"
	}
	t.note(ops.Event{Kind: ops.EventLeft, Task: lt.id, Message: fmt.Sprintf("- task %s (%s) stopped: %s", lt.id, lt.taskDef, why)})
}

func (t *Tailer) markStopped(lt *logsTask) {
	stop := lt.stoppedAt.UnixMilli()
	if lt.stoppedAt.IsZero() {
		stop = t.serverNow()
	}
	for _, s := range t.streams {
		if s.task == lt {
			s.leaveAfter = max(stop, 1) + t.Overlap.Milliseconds()
		}
	}
}

func (t *Tailer) streamList(include func(*logsStream) bool) []*logsStream {
	out := make([]*logsStream, 0, len(t.streams))
	for _, s := range t.streams {
		if include == nil || include(s) {
			out = append(out, s)
		}
	}
	return out
}

// keep applies --grep/--grep-v and drops events already emitted.
func (t *Tailer) keep(l Line) bool { return t.keepFrom(&l, false) }

// keepFrom is keep for an event read by a poll or (live) a live tail session.
func (t *Tailer) keepFrom(l *Line, live bool) bool {
	if ms := l.Time.UnixMilli(); (t.until > 0 && ms > t.until) || ms < t.since {
		return false
	}
	if !live && t.printedLive.covered > 0 && l.Time.UnixMilli() < t.printedLive.floor && l.Ingested.UnixMilli() < t.printedLive.covered {
		return false
	}
	if !t.dedup.admit(l, live) {
		return false
	}
	if t.req.Grep != nil && !t.req.Grep.MatchString(l.Message) {
		return false
	}
	if t.req.GrepV != nil && t.req.GrepV.MatchString(l.Message) {
		return false
	}
	return true
}

func sortLogLines(ls []Line) {
	sort.Slice(ls, func(i, j int) bool {
		a, b := &ls[i], &ls[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Stream != b.Stream {
			return a.Stream < b.Stream
		}
		return a.ID < b.ID
	})
}

// followPoll polls until Until has passed, every task stopped (--task), or
// ctx ends. deepStart is where the first (deep) poll reads from.
func (t *Tailer) followPoll(ctx context.Context, deepStart int64) error {
	var backoff time.Duration
	polls := 0
	for {
		err := t.pollOnce(ctx, polls, &deepStart)
		if err == nil && polls > 0 && polls%t.RelistEvery == 0 {
			err = t.relist(ctx)
		}
		switch {
		case err == nil:
			polls++
			if backoff > 0 {
				backoff /= 2
				if backoff <= t.PollInterval {
					backoff = 0
					t.note(ops.Event{Kind: ops.EventRecovered, Message: fmt.Sprintf("no longer throttled: polling every %s", t.PollInterval)})
				}
			}
		case ctx.Err() != nil:
			return t.stop(ops.ErrInterrupted)
		case awsapi.Transient(err):
			next := min(max(2*backoff, 2*t.PollInterval), t.MaxBackoff)
			if next != backoff {
				t.note(ops.Event{Kind: ops.EventThrottled, Message: fmt.Sprintf("throttled (%s): polling every %s until it passes", ops.OneLineErr(err), next)})
			}
			backoff = next
		default:
			if ferr := t.flush(); ferr != nil {
				return ferr
			}
			return err
		}
		if done, why := t.finished(ctx); done {
			if err := t.lastLook(ctx, polls, &deepStart); err != nil {
				if ferr := t.flush(); ferr != nil {
					return ferr
				}
				return err
			}
			t.note(ops.Event{Kind: ops.EventInfo, Message: why})
			return t.stop(nil)
		}
		wait := t.PollInterval
		if backoff > 0 {
			wait = backoff
		}
		next := t.Clock.After(wait)
		due := t.armRelease(false)
	waiting:
		for {
			select {
			case <-ctx.Done():
				return t.stop(ops.ErrInterrupted)
			case <-next:
				break waiting
			case <-due:
				if err := t.release(); err != nil {
					return err
				}
				due = t.armRelease(true)
			}
		}
	}
}

// lastLook re-lists a followed service's tasks once more when the follow
// ends at Until, and reads the streams of the tasks that re-list finds: a
// task that started (and maybe stopped) since the last re-list, up to
// RelistEvery polls ago, ran before Until too, and its events belong to
// the range. New streams are read from their task's start.
func (t *Tailer) lastLook(ctx context.Context, polls int, deepStart *int64) error {
	if t.req.Service == "" || t.until == 0 {
		return nil
	}
	known := len(t.streams)
	if err := t.relist(ctx); err != nil {
		return err
	}
	if len(t.streams) == known {
		return nil
	}
	return t.pollOnce(ctx, polls, deepStart)
}

// stop prints what is held back and returns err.
func (t *Tailer) stop(err error) error {
	if ferr := t.flush(); ferr != nil {
		return ferr
	}
	return err
}

func (t *Tailer) flush() error {
	if len(t.hold) == 0 {
		return nil
	}
	out := t.hold
	t.hold = nil
	return t.Emit(out)
}

// finished reports whether a follow is over: Until passed (by CloudWatch's
// clock, as far as events show, or by the local one), or following --task
// tasks that have all stopped and been read to the end.
func (t *Tailer) finished(ctx context.Context) (bool, string) {
	over := t.Overlap.Milliseconds()
	if t.until > 0 {
		if max(t.lastDeepBase, t.liveCovered) >= t.until+over || t.Clock.Now().UnixMilli() >= t.until+over {
			return true, "reached " + ops.Opt(ctx, "Until")
		}
	}
	if t.req.Service == "" && len(t.streams) == 0 {
		return true, "every task has stopped and its logs have been read"
	}
	return false, ""
}

// pollOnce reads every stream once, de-duplicates, and emits what is ready.
func (t *Tailer) pollOnce(ctx context.Context, n int, deepStart *int64) error {
	deep := n%t.DeepEvery == 0
	base := t.serverNow()
	start := *deepStart
	if !deep && base > 0 {
		start = max(t.since, base-t.Shallow.Milliseconds())
	}
	// Streams FilterLogEvents could not find: probe them.
	for _, s := range t.streams {
		if !s.missing {
			continue
		}
		t.Calls++
		ok, err := t.streamExists(ctx, s)
		if err != nil {
			return err
		}
		s.missing = !ok
	}
	active := t.streamList(func(s *logsStream) bool { return !s.missing })
	chunks := logsChunks(active, func(s *logsStream) int64 {
		if s.from > 0 {
			return min(start, s.from)
		}
		return start
	})
	res, err := t.fetchChunks(ctx, chunks, t.readEnd())
	t.Calls += res.calls
	if err != nil {
		return err
	}
	missing := map[*logsStream]bool{}
	for _, m := range res.missing {
		m.missing = true
		missing[m] = true
	}
	for _, s := range active {
		if !missing[s] {
			s.from = 0
		}
	}
	for _, l := range res.lines {
		if ms := l.Ingested.UnixMilli(); ms > t.wm {
			t.wm = ms
		}
		if t.keep(l) {
			t.holdLine(l)
		}
	}
	if deep {
		t.lastDeepBase = base
		*deepStart = max(t.since, base-t.Overlap.Milliseconds())
		t.dedup.forget(*deepStart)
		for k, s := range t.streams {
			if s.leaveAfter > 0 && base >= s.leaveAfter {
				delete(t.streams, k)
				if !t.taskHasStreams(s.task) {
					delete(t.tasks, s.task.id)
					t.gone[s.task.id] = true
				}
			}
		}
	}
	return t.release()
}

func (t *Tailer) taskHasStreams(lt *logsTask) bool {
	for _, s := range t.streams {
		if s.task == lt {
			return true
		}
	}
	return false
}

// release emits the held events older than the order window.
func (t *Tailer) release() error {
	if len(t.hold) == 0 {
		return nil
	}
	sortLogLines(t.hold)
	t.proof(t.wm) // the newest ingestion time seen was read by now
	cut := msTime(t.serverClock() - t.holdFor())
	i := sort.Search(len(t.hold), func(i int) bool { return t.hold[i].Time.After(cut) })
	if i == 0 {
		return nil
	}
	out := make([]Line, i)
	copy(out, t.hold[:i])
	t.hold = append(t.hold[:0], t.hold[i:]...)
	return t.Emit(out)
}

// relist brings the task set up to date: new tasks of the service join,
// tasks no longer running are watched until ECS says they stopped, then
// read for Overlap more and dropped. Tasks that started and stopped between
// two lists are found in the service's recently stopped tasks, and read.
func (t *Tailer) relist(ctx context.Context) error {
	var fresh []string
	if t.req.Service != "" {
		var err error
		if fresh, err = t.relistService(ctx); err != nil {
			return err
		}
	} else {
		for _, lt := range t.tasks {
			if lt.status != "STOPPED" {
				lt.stopping = true // --task: check each still runs
			}
		}
	}
	var check []string
	for id, lt := range t.tasks {
		if lt.stopping && lt.status != "STOPPED" {
			check = append(check, id)
		}
	}
	ids := append(fresh, check...)
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids)
	tasks, _, err := describeLogsTasks(ctx, t.ECS, t.req.Cluster, ids, t.observe)
	t.Calls += (len(ids) + 99) / 100
	if err != nil {
		return err
	}
	return t.applyRelisted(ctx, tasks)
}

// relistService lists the service's running and stopped tasks: the ones
// not followed yet are returned (unordered), followed ones no longer
// running are marked stopping, and gone ones ECS no longer lists are
// forgotten.
func (t *Tailer) relistService(ctx context.Context) ([]string, error) {
	var fresh []string
	arns, err := t.listTasks(ctx, types.DesiredStatusRunning)
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, a := range arns {
		id := fmtx.ShortARN(a)
		running[id] = true
		if t.tasks[id] == nil {
			fresh = append(fresh, id)
		}
	}
	for id, lt := range t.tasks {
		if !running[id] && lt.status != "STOPPED" {
			lt.stopping = true
		}
	}
	stopped, err := t.listTasks(ctx, types.DesiredStatusStopped)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, a := range stopped {
		id := fmtx.ShortARN(a)
		listed[id] = true
		if t.tasks[id] == nil && !t.gone[id] && !running[id] {
			fresh = append(fresh, id)
		}
	}
	for id := range t.gone {
		if !listed[id] && t.tasks[id] == nil {
			delete(t.gone, id) // ECS forgot it too
		}
	}
	return fresh, nil
}

// applyRelisted takes the described tasks of a relist in: new ones are
// followed (or remembered as gone when they stopped before the range),
// followed ones update their status and are marked stopped when ECS says so.
func (t *Tailer) applyRelisted(ctx context.Context, tasks []types.Task) error {
	for _, task := range tasks {
		arn := aws.ToString(task.TaskArn)
		id := fmtx.ShortARN(arn)
		lt := t.tasks[id]
		if lt == nil {
			if task.StoppedAt != nil && t.since > 0 && task.StoppedAt.UnixMilli() < t.since {
				t.gone[id] = true // stopped before the range
				continue
			}
			if err := t.addTask(ctx, task, true); err != nil {
				return err
			}
			continue
		}
		lt.status = aws.ToString(task.LastStatus)
		if lt.status == "STOPPED" {
			lt.stoppedAt = aws.ToTime(task.StoppedAt)
			lt.reason = aws.ToString(task.StoppedReason)
			t.markStopped(lt)
			t.noteStopped(lt)
		}
	}
	return nil
}

// listTasks lists the service's task ARNs of a desired status, noting the
// server's clock from the responses.
func (t *Tailer) listTasks(ctx context.Context, status types.DesiredStatus) ([]string, error) {
	var arns []string
	restarts := 0
	p := ecs.NewListTasksPaginator(t.ECS, &ecs.ListTasksInput{Cluster: aws.String(t.req.Cluster), ServiceName: aws.String(t.req.Service), DesiredStatus: status})
	for p.HasMorePages() {
		t.Calls++
		out, err := p.NextPage(ctx)
		if err != nil && restarts < 3 && awsapi.ErrorCode(err) == "InvalidParameterException" && strings.Contains(strings.ToLower(apiMessage(err)), "nexttoken") {
			// The list changed under the pages (tasks come and go during
			// a deploy): list again from the start.
			restarts++
			arns = nil
			p = ecs.NewListTasksPaginator(t.ECS, &ecs.ListTasksInput{Cluster: aws.String(t.req.Cluster), ServiceName: aws.String(t.req.Service), DesiredStatus: status})
			continue
		}
		if err != nil {
			switch awsapi.ErrorCode(err) {
			case "ClusterNotFoundException":
				return nil, ops.NotFound(ctx, "cluster", t.req.Cluster)
			case "ServiceNotFoundException":
				return nil, ops.NotFound(ctx, "service", t.req.Cluster+"/"+t.req.Service)
			}
			return nil, fmt.Errorf("list %s tasks of service %s/%s: %w", strings.ToLower(string(status)), t.req.Cluster, t.req.Service, err)
		}
		t.observe(out.ResultMetadata)
		arns = append(arns, out.TaskArns...)
	}
	return arns, nil
}

// stoppedInRange describes the service's stopped tasks (ARNs) not among
// running: those still stopping or that stopped after --since are
// returned, the others are remembered as gone.
func (t *Tailer) stoppedInRange(ctx context.Context, running []types.Task, arns []string) ([]types.Task, error) {
	have := map[string]bool{}
	for _, task := range running {
		have[aws.ToString(task.TaskArn)] = true
	}
	var ids []string
	for _, a := range arns {
		if !have[a] {
			ids = append(ids, fmtx.ShortARN(a))
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	tasks, _, err := describeLogsTasks(ctx, t.ECS, t.req.Cluster, ids, t.observe)
	t.Calls += (len(ids) + 99) / 100
	if err != nil {
		return nil, err
	}
	var out []types.Task
	for _, task := range tasks {
		arn := aws.ToString(task.TaskArn)
		if task.StoppedAt == nil || task.StoppedAt.UnixMilli() >= t.since { // stopping, or stopped in the range
			out = append(out, task)
		} else {
			t.gone[fmtx.ShortARN(arn)] = true
		}
	}
	return out, nil
}

// readEnd is the end time of a follow's reads (0: none). It goes past
// --until: the events after it move the watermark on, which is how the
// follow learns that --until has passed (keep drops them), and the read
// stays bounded.
func (t *Tailer) readEnd() int64 {
	if t.until > 0 {
		return t.until + 2*t.Overlap.Milliseconds()
	}
	return 0
}
