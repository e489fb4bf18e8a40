package logs

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// Following through CloudWatch Logs live tail (StartLiveTail).
//
// A session pushes, about every second, the events ingested since the last
// push: no polling, no overlap to re-read, late events arrive when they are
// ingested. It fits when every stream followed is in one region and at most
// 10 log groups; with one group the session is narrowed to the streams'
// prefixes (<prefix>/<container>/, at most 100), so replacement tasks'
// streams are in it from their first event. Events of streams of tasks not
// listed yet are dropped: when a re-list brings such a task in, its stream is
// read by a poll from the task's start (the join), and de-duplicated with
// what the session delivers from then on.
//
// The start is bridged the same way: the session is opened first, then a
// deep poll reads everything ingested before it (from --since, or for a new
// session after an old one ended, from what the old one covered − overlap);
// events both returned are printed once (logsDedup counts them by content:
// live events have no event id).
//
// Polling (followPoll) takes over, from what the live sessions covered −
// overlap, when a session cannot be had (no permission, limit, the endpoint
// does not serve it, --live-tail never), when CloudWatch samples the results
// (more than 500 matching events a second: a gap-free follow cannot use a
// sample), or when sessions keep failing. A session that ends (its 3 hour
// timeout, a streaming error) is reopened and bridged again.

// LiveStream is an open live tail session's event stream
// (*cloudwatchlogs.StartLiveTailEventStream satisfies it).
type LiveStream interface {
	Events() <-chan cwltypes.StartLiveTailResponseStream
	Close() error
	Err() error
}

// logsLiveMaxGroups and logsLiveMaxFilters are StartLiveTail's limits.
const (
	logsLiveMaxGroups  = 10
	logsLiveMaxFilters = 100
	// logsLiveReconnects is how many sessions in a row may end without
	// delivering an update before polling takes over.
	logsLiveReconnects = 3
)

// logsLive is what the open session covers.
type logsLive struct {
	region    string
	arnPrefix string          // arn:<partition>:logs:<region>:<account>:log-group:
	groups    map[string]bool // group names
	// prefixes (one group only) the session is narrowed to; nil: every
	// stream of its groups.
	prefixes map[string]bool
	in       *cloudwatchlogs.StartLiveTailInput
}

// logsStreamPrefix is "<prefix>/<container>/" of "<prefix>/<container>/<task>".
func logsStreamPrefix(name string) string { return name[:strings.LastIndex(name, "/")+1] }

func (lv *logsLive) covers(s *logsStream) bool {
	if s.key.region != lv.region || !lv.groups[s.key.group] {
		return false
	}
	return lv.prefixes == nil || lv.prefixes[logsStreamPrefix(s.name)]
}

// liveSpec is the session that would cover every stream followed, or why
// there is none.
func (t *Tailer) liveSpec() (*logsLive, string) {
	if len(t.streams) == 0 {
		return nil, "no log streams to follow yet"
	}
	lv := &logsLive{groups: map[string]bool{}}
	for _, s := range t.streams {
		if lv.region == "" {
			lv.region = s.key.region
		} else if s.key.region != lv.region {
			return nil, "the streams are in more than one region"
		}
		lv.groups[s.key.group] = true
	}
	if len(lv.groups) > logsLiveMaxGroups {
		return nil, fmt.Sprintf("the streams are in %d log groups (live tail takes %d)", len(lv.groups), logsLiveMaxGroups)
	}
	for _, lt := range t.tasks {
		// arn:<partition>:ecs:<region>:<account>:task/...
		if f := strings.SplitN(lt.arn, ":", 6); len(f) == 6 && f[0] == "arn" && f[4] != "" {
			lv.arnPrefix = "arn:" + f[1] + ":logs:" + lv.region + ":" + f[4] + ":log-group:"
			break
		}
	}
	if lv.arnPrefix == "" {
		return nil, "no task ARN to take the account from"
	}
	in := &cloudwatchlogs.StartLiveTailInput{}
	var groups []string
	for g := range lv.groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		in.LogGroupIdentifiers = append(in.LogGroupIdentifiers, lv.arnPrefix+g)
	}
	if len(groups) == 1 {
		prefixes := map[string]bool{}
		for _, s := range t.streams {
			prefixes[logsStreamPrefix(s.name)] = true
		}
		if len(prefixes) <= logsLiveMaxFilters {
			lv.prefixes = prefixes
			for p := range prefixes {
				in.LogStreamNamePrefixes = append(in.LogStreamNamePrefixes, p)
			}
			sort.Strings(in.LogStreamNamePrefixes)
		}
	}
	if t.req.Filter != "" {
		in.LogEventFilterPattern = aws.String(t.req.Filter)
	}
	lv.in = in
	return lv, ""
}

// follow follows through live tail where it fits, by polling otherwise.
func (t *Tailer) follow(ctx context.Context) error {
	deepStart := t.since
	if t.StartLive != nil && t.LiveTail != "never" {
		next, err, fallback := t.followLive(ctx)
		if !fallback {
			return err
		}
		deepStart = next
	}
	return t.followPoll(ctx, deepStart)
}

// followLive follows through live tail sessions. fallback: polling is to
// take over, reading from deepStart.
func (t *Tailer) followLive(ctx context.Context) (deepStart int64, err error, fallback bool) {
	deepStart = t.since
	failures := 0
	opened := false
	for {
		lv, why := t.liveSpec()
		if why != "" {
			t.note(ops.Event{Kind: ops.EventPolling, Message: "polling FilterLogEvents: live tail does not fit (" + why + ")"})
			return deepStart, nil, true
		}
		t.Calls++
		sess, err := t.StartLive(ctx, lv.region, lv.in)
		if err != nil {
			if ctx.Err() != nil {
				return 0, t.stop(ops.ErrInterrupted), false
			}
			t.note(ops.Event{Kind: ops.EventPolling, Message: fmt.Sprintf("polling FilterLogEvents: live tail is not available (%s)", ops.OneLineErr(err))})
			return deepStart, nil, true
		}
		t.dedup.trackContent()
		done := make(chan struct{})
		events := logsLivePump(sess, done)
		end := func() {
			close(done)
			_ = sess.Close()
		}
		if err := logsLiveWaitStart(ctx, events, sess); err != nil {
			end()
			if ctx.Err() != nil {
				return 0, t.stop(ops.ErrInterrupted), false
			}
			t.note(ops.Event{Kind: ops.EventPolling, Message: fmt.Sprintf("polling FilterLogEvents: the live tail session did not start (%s)", ops.OneLineErr(err))})
			return deepStart, nil, true
		}
		t.live = lv
		what := fmt.Sprintf("following through a live tail session on %s", strings.Join(lv.in.LogGroupIdentifiers, ", "))
		if opened {
			what = "live tail session reopened"
		}
		opened = true
		t.note(ops.Event{Kind: ops.EventLive, Message: what})
		// The bridge: whatever was ingested before the session began.
		if err := t.liveBridge(ctx, &deepStart); err != nil {
			end()
			if ctx.Err() != nil {
				return 0, t.stop(ops.ErrInterrupted), false
			}
			return 0, t.stop(err), false
		}
		next, outcome, err := t.liveLoop(ctx, events, sess, lv)
		end()
		switch outcome {
		case logsLiveDone:
			return 0, err, false
		case logsLiveFallback:
			return next, nil, true
		case logsLiveReopen:
			failures = 0
		case logsLiveFailed:
			failures++
			if failures >= logsLiveReconnects {
				t.note(ops.Event{Kind: ops.EventPolling, Message: fmt.Sprintf("polling FilterLogEvents: %d live tail sessions in a row ended early (%s)", failures, ops.OneLineErr(err))})
				return next, nil, true
			}
			t.note(ops.Event{Kind: ops.EventLive, Message: fmt.Sprintf("live tail session ended (%s): reopening it", ops.OneLineErr(err))})
		}
		t.live = nil
		deepStart = next
	}
}

type logsLiveOutcome int

const (
	logsLiveDone     logsLiveOutcome = iota // the follow is over (err: how)
	logsLiveFallback                        // polling takes over
	logsLiveReopen                          // open a new session (the streams changed)
	logsLiveFailed                          // the session ended: open a new one
)

// logsLivePump forwards a session's events into a buffered channel, so that
// polls made meanwhile (the bridge, joins) do not leave CloudWatch's
// session buffer to overflow.
func logsLivePump(sess LiveStream, done <-chan struct{}) <-chan cwltypes.StartLiveTailResponseStream {
	out := make(chan cwltypes.StartLiveTailResponseStream, 4096)
	go func() {
		defer close(out)
		for ev := range sess.Events() {
			select {
			case out <- ev:
			case <-done:
				return
			}
		}
	}()
	return out
}

// logsLiveWaitStart waits for the sessionStart event.
func logsLiveWaitStart(ctx context.Context, events <-chan cwltypes.StartLiveTailResponseStream, sess LiveStream) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case ev, ok := <-events:
		if !ok {
			if err := sess.Err(); err != nil {
				return err
			}
			return io.ErrUnexpectedEOF
		}
		if _, ok := ev.(*cwltypes.StartLiveTailResponseStreamMemberSessionStart); !ok {
			return fmt.Errorf("the session sent %T before sessionStart", ev)
		}
		return nil
	}
}

// liveBridge reads, by a deep poll, what was ingested before the session
// began; streams not created yet will be in the session from their start.
func (t *Tailer) liveBridge(ctx context.Context, deepStart *int64) error {
	wait := t.PollInterval
	for attempt := 1; ; attempt++ {
		err := t.pollOnce(ctx, 0, deepStart)
		if err == nil {
			break
		}
		if !awsapi.Transient(err) || attempt == 6 {
			return err
		}
		t.note(ops.Event{Kind: ops.EventThrottled, Message: fmt.Sprintf("throttled (%s): trying again in %s", ops.OneLineErr(err), wait)})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.Clock.After(wait):
		}
		wait = min(2*wait, t.MaxBackoff)
	}
	for _, s := range t.streams {
		if s.missing {
			s.missing, s.from = false, 0
		}
	}
	t.liveCovered = max(t.liveCovered, t.lastDeepBase)
	return nil
}

// liveLoop prints a session's updates, re-lists tasks and reads joining
// tasks' streams until the follow ends or the session has to change.
func (t *Tailer) liveLoop(ctx context.Context, events <-chan cwltypes.StartLiveTailResponseStream, sess LiveStream, lv *logsLive) (int64, logsLiveOutcome, error) {
	restartFrom := func() int64 { return max(t.since, t.liveCovered-t.Overlap.Milliseconds()) }
	relistEvery := t.PollInterval * time.Duration(t.RelistEvery)
	relist := t.Clock.After(relistEvery)
	var backoff time.Duration
	prevDate := t.serverDate.Load()
	var due <-chan time.Time // the earliest held event is due (logs_hold.go)
	for {
		select {
		case <-ctx.Done():
			return 0, logsLiveDone, t.stop(ops.ErrInterrupted)
		case <-due:
			if err := t.release(); err != nil {
				return 0, logsLiveDone, err
			}
			due = t.armRelease(true)
		case ev, ok := <-events:
			if !ok {
				err := sess.Err()
				if err == nil {
					err = errors.New("the session closed")
				}
				if ctx.Err() != nil {
					return 0, logsLiveDone, t.stop(ops.ErrInterrupted)
				}
				return restartFrom(), logsLiveFailed, err
			}
			u, isUpdate := ev.(*cwltypes.StartLiveTailResponseStreamMemberSessionUpdate)
			if !isUpdate {
				continue
			}
			if u.Value.SessionMetadata != nil && u.Value.SessionMetadata.Sampled {
				t.note(ops.Event{Kind: ops.EventPolling, Message: "polling FilterLogEvents: live tail is sampling the events (more than 500 a second match), and a follow without gaps cannot use a sample"})
				return restartFrom(), logsLiveFallback, nil
			}
			if lost, from := t.liveEvents(lv, u.Value.SessionResults); lost > 0 {
				// The session's events are not understood: polling reads
				// them again, from before the first of them.
				t.note(ops.Event{Kind: ops.EventPolling, Message: fmt.Sprintf("polling FilterLogEvents: %d live tail events name a log group this tail cannot place (%s)", lost, lostExample(u.Value.SessionResults, lv))})
				// Polling may now read back past the de-dup window (the
				// first lost event can be late, with an old timestamp):
				// what the session delivered before is not printed again.
				t.printedLive.floor, t.printedLive.covered = t.dedup.floor, t.liveCovered
				return min(restartFrom(), max(t.since, from-t.Overlap.Milliseconds())), logsLiveFallback, nil
			}
			// Everything ingested before the previous update's server time
			// is in: the session sends what was ingested up to each update.
			t.liveCovered = max(t.liveCovered, t.wm, prevDate)
			prevDate = t.serverDate.Load()
			if err := t.release(); err != nil {
				return 0, logsLiveDone, err
			}
			due = t.armRelease(false)
		case <-relist:
			err := t.relist(ctx)
			if err == nil {
				err = t.liveJoin(ctx)
			}
			switch {
			case err == nil:
				if backoff > 0 {
					backoff = 0
					t.note(ops.Event{Kind: ops.EventRecovered, Message: "no longer throttled"})
				}
			case ctx.Err() != nil:
				return 0, logsLiveDone, t.stop(ops.ErrInterrupted)
			case awsapi.Transient(err):
				backoff = min(max(2*backoff, 2*relistEvery), t.MaxBackoff)
				t.note(ops.Event{Kind: ops.EventThrottled, Message: fmt.Sprintf("throttled (%s): re-listing tasks every %s until it passes", ops.OneLineErr(err), backoff)})
			default:
				return 0, logsLiveDone, t.stop(err)
			}
			t.liveForget()
			if t.req.Service == "" && t.allStopped() {
				// Nothing more will come live; polls read the last
				// events and end the follow.
				t.note(ops.Event{Kind: ops.EventPolling, Message: "every task has stopped: reading their last events by polling"})
				return restartFrom(), logsLiveFallback, nil
			}
			if done, why := t.finished(ctx); done {
				t.note(ops.Event{Kind: ops.EventInfo, Message: why})
				return 0, logsLiveDone, t.stop(nil)
			}
			for _, s := range t.streams {
				if !lv.covers(s) {
					return restartFrom(), logsLiveReopen, nil // a new log group or prefix
				}
			}
			relist = t.Clock.After(max(relistEvery, backoff))
		}
	}
}

// liveEvents holds a session update's events of the streams followed. It
// returns how many events named a log group the session does not cover,
// and the earliest time (timestamp or ingestion) among them: those cannot
// be placed and must be read again by other means.
func (t *Tailer) liveEvents(lv *logsLive, evs []cwltypes.LiveTailSessionLogEvent) (lost int, from int64) {
	for i := range evs {
		e := &evs[i]
		group := liveGroupName(aws.ToString(e.LogGroupIdentifier))
		if !lv.groups[group] {
			lost++
			for _, ms := range []int64{aws.ToInt64(e.Timestamp), aws.ToInt64(e.IngestionTime)} {
				if ms > 0 && (from == 0 || ms < from) {
					from = ms
				}
			}
			continue
		}
		s := t.streams[lv.region+"\x00"+group+"\x00"+aws.ToString(e.LogStreamName)]
		if s == nil {
			continue // a task not listed yet: its join reads it from its start
		}
		l := Line{
			Time:      msTime(aws.ToInt64(e.Timestamp)),
			Ingested:  msTime(aws.ToInt64(e.IngestionTime)),
			Region:    lv.region,
			Group:     group,
			Stream:    s.name,
			Task:      s.task.id,
			Container: s.container,
			Message:   strings.TrimRight(aws.ToString(e.Message), "\r\n"),
		}
		if ms := aws.ToInt64(e.IngestionTime); ms > t.wm {
			t.wm = ms
		}
		if t.keepFrom(&l, true) {
			t.holdLine(l)
		}
	}
	if lost > 0 && from == 0 {
		from = t.since
	}
	return lost, from
}

// liveGroupName is the log group name in the identifier a live tail event
// carries. Real sessions send ACCOUNT_ID:NAME whatever the request used
// (ECS-SEMANTICS.md §5); the API reference allows "the name or ARN"
// (LiveTailSessionLogEvent), and an ARN may end in ":*". A log group name
// has no ':' (CreateLogGroup: [\.\-_/#A-Za-z0-9]+), so the name is what
// follows the last one.
func liveGroupName(id string) string {
	id = strings.TrimSuffix(id, ":*")
	return id[strings.LastIndex(id, ":")+1:]
}

// lostExample names the first event's group identifier a session could not
// place, for the notice.
func lostExample(evs []cwltypes.LiveTailSessionLogEvent, lv *logsLive) string {
	for i := range evs {
		id := aws.ToString(evs[i].LogGroupIdentifier)
		if !lv.groups[liveGroupName(id)] {
			return fmt.Sprintf("%q", id)
		}
	}
	return "none"
}

// liveJoin reads the streams of tasks that joined, from their start, up to
// now (the session has them from here on).
func (t *Tailer) liveJoin(ctx context.Context) error {
	join := t.streamList(func(s *logsStream) bool { return s.from > 0 })
	if len(join) == 0 {
		return nil
	}
	chunks := logsChunks(join, func(s *logsStream) int64 { return s.from })
	res, err := t.fetchChunks(ctx, chunks, t.readEnd())
	t.Calls += res.calls
	if err != nil {
		return err
	}
	// A stream not created yet is in the session from its first event.
	for _, s := range join {
		s.from, s.missing = 0, false
	}
	for _, l := range res.lines {
		if ms := l.Ingested.UnixMilli(); ms > t.wm {
			t.wm = ms
		}
		if t.keep(l) {
			t.holdLine(l)
		}
	}
	return t.release()
}

// liveForget drops the streams of stopped tasks once their last events are
// in, and de-duplication entries no later read can match.
func (t *Tailer) liveForget() {
	for k, s := range t.streams {
		if s.leaveAfter > 0 && t.liveCovered >= s.leaveAfter {
			delete(t.streams, k)
			if !t.taskHasStreams(s.task) {
				delete(t.tasks, s.task.id)
				t.gone[s.task.id] = true
			}
		}
	}
	t.dedup.forget(max(t.since, t.liveCovered-2*t.Overlap.Milliseconds()))
}

func (t *Tailer) allStopped() bool {
	for _, lt := range t.tasks {
		if lt.status != "STOPPED" {
			return false
		}
	}
	return true
}
