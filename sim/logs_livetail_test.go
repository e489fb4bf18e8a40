package sim

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// liveNoHostPrefix keeps StartLiveTail's "stream-" host prefix off a local
// endpoint (as ecsctl does when an endpoint is configured).
func liveNoHostPrefix(o *cloudwatchlogs.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("liveNoHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

type liveEnv struct {
	s    *Sim
	logs *cloudwatchlogs.Client
	url  string
}

func newLiveEnv(t *testing.T, reg *Registry) *liveEnv {
	t.Helper()
	s := newLogsSim(t, 3, 100)
	srv := httptest.NewServer(NewServer(s, reg))
	t.Cleanup(srv.Close)
	c := newClients(srv.URL, 1)
	return &liveEnv{s: s, logs: c.logs, url: srv.URL}
}

func (e *liveEnv) groupArn(name string) string {
	var a string
	locked(e.s, func() { a = e.s.logGroupArn(name) })
	return a
}

// liveCollect reads updates until want events arrived (or a generous real
// deadline passed), then a few more updates to catch duplicates.
func liveCollect(t *testing.T, es *cloudwatchlogs.StartLiveTailEventStream, want int) (got []cwltypes.LiveTailSessionLogEvent, sampled bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	extra := -1
	for extra != 0 {
		select {
		case ev, ok := <-es.Events():
			if !ok {
				t.Fatalf("stream ended: %v", es.Err())
			}
			if u, ok := ev.(*cwltypes.StartLiveTailResponseStreamMemberSessionUpdate); ok {
				got = append(got, u.Value.SessionResults...)
				sampled = sampled || u.Value.SessionMetadata.Sampled
				if extra > 0 {
					extra--
				} else if extra < 0 && len(got) >= want {
					extra = 3
				}
			}
		case <-deadline:
			t.Fatalf("%d events of %d after 10s", len(got), want)
		}
	}
	return got, sampled
}

func TestLiveTailDeliversEveryEventIngestedOnce(t *testing.T) {
	env := newLiveEnv(t, DefaultRegistry)
	a, b := testTask("aaaa", "api:v1"), testTask("bbbb", "api:v1")
	startTask(env.s, a)
	startTask(env.s, b)
	env.s.Advance(2 * time.Minute)
	var t0 time.Time
	locked(env.s, func() { t0 = env.s.Now() })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := env.logs.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{
		LogGroupIdentifiers: []string{env.groupArn("/ecs/prod/api")}, LogStreamNamePrefixes: []string{"ecs/app/"},
	}, liveNoHostPrefix)
	if err != nil {
		t.Fatal(err)
	}
	es := out.GetStream()
	defer es.Close()
	first := <-es.Events()
	start, ok := first.(*cwltypes.StartLiveTailResponseStreamMemberSessionStart)
	if !ok || aws.ToString(start.Value.SessionId) == "" || start.Value.LogStreamNamePrefixes[0] != "ecs/app/" {
		t.Fatalf("first event %#v", first)
	}
	for i := 0; i < 30; i++ {
		env.s.Advance(5 * time.Second)
	}
	// A task's final lines and a PutLogEvents write come through too.
	locked(env.s, func() { env.s.logsTaskStopped(a.TaskArn, nil) })
	putEvents(t, env.s, "/ecs/prod/api", "ecs/app/bbbb", []string{"written by hand"})
	env.s.Advance(30 * time.Second)
	var t1 time.Time
	locked(env.s, func() { t1 = env.s.Now() })

	var want []LogEventRecord
	for _, e := range env.s.LogEventsIngestedBy("/ecs/prod/api", []string{"ecs/app/aaaa", "ecs/app/bbbb"}, time.Time{}, time.Time{}, t1) {
		if e.IngestionTime.After(t0) {
			want = append(want, e)
		}
	}
	got, sampled := liveCollect(t, es, len(want))
	if sampled {
		t.Error("sampled at a few events per second")
	}
	key := func(stream string, ts, ing int64, msg string) string {
		return stream + "|" + time.UnixMilli(ts).String() + "|" + time.UnixMilli(ing).String() + "|" + msg
	}
	seen := map[string]int{}
	for _, g := range got {
		// ACCOUNT_ID:NAME, not the ARN the request used, as real sessions.
		if aws.ToString(g.LogGroupIdentifier) != env.s.AccountID+":/ecs/prod/api" {
			t.Fatalf("group identifier %s", aws.ToString(g.LogGroupIdentifier))
		}
		seen[key(aws.ToString(g.LogStreamName), aws.ToInt64(g.Timestamp), aws.ToInt64(g.IngestionTime), aws.ToString(g.Message))]++
	}
	late, hand, missing := 0, 0, 0
	for _, w := range want {
		k := key(w.Stream, w.Timestamp.UnixMilli(), w.IngestionTime.UnixMilli(), w.Message)
		if seen[k] != 1 {
			missing++
			if missing < 4 {
				t.Errorf("event %s delivered %d times", k, seen[k])
			}
		}
		delete(seen, k)
		if w.IngestionTime.Sub(w.Timestamp) > time.Second {
			late++
		}
		if w.Message == "written by hand" {
			hand++
		}
	}
	if len(seen) > 0 {
		t.Errorf("%d events delivered that were not ingested in the session (or not of the prefix), e.g. %v", len(seen), seen)
	}
	if late == 0 || hand != 1 || len(want) < 20 {
		t.Errorf("the test proves little: %d events, %d late, %d written by hand", len(want), late, hand)
	}
	if n := env.s.LiveTailSessions(); n != 1 {
		t.Errorf("%d sessions open", n)
	}
	es.Close()
	cancel()
	for i := 0; env.s.LiveTailSessions() != 0; i++ {
		if i > 5000 {
			t.Fatal("session still open after the client left")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLiveTailSamplesAbove500PerSecondAndTimesOut(t *testing.T) {
	env := newLiveEnv(t, DefaultRegistry)
	env.s.logs.Config.LinesPerMinute = 5000 // capped at 2500 a minute each: 16 streams write about 660/s
	env.s.SetLiveTailOptions(LiveTailOptions{Timeout: 20 * time.Second})
	var names []string
	for i := 0; i < 16; i++ {
		id := fmt.Sprintf("c%02d", i)
		startTask(env.s, testTask(id, "api:v1"))
		names = append(names, "ecs/app/"+id)
	}
	out, err := env.logs.StartLiveTail(context.Background(), &cloudwatchlogs.StartLiveTailInput{
		LogGroupIdentifiers: []string{env.groupArn("/ecs/prod/api")}, LogStreamNames: names,
	}, liveNoHostPrefix)
	if err != nil {
		t.Fatal(err)
	}
	es := out.GetStream()
	defer es.Close()
	sampled, updates, total := false, 0, 0
	for ev := range es.Events() {
		u, ok := ev.(*cwltypes.StartLiveTailResponseStreamMemberSessionUpdate)
		if !ok {
			continue
		}
		env.s.Advance(5 * time.Second) // the next update covers 5 virtual seconds
		updates++
		total += len(u.Value.SessionResults)
		if u.Value.SessionMetadata.Sampled {
			sampled = true
		}
	}
	var te *cwltypes.SessionTimeoutException
	if !errors.As(es.Err(), &te) {
		t.Errorf("stream ended with %v, want a SessionTimeoutException", es.Err())
	}
	if !sampled || updates == 0 || total > 500*25 {
		t.Errorf("%d updates, %d events over about 20 virtual seconds, sampled %v", updates, total, sampled)
	}
}

func TestLiveTailRequestErrors(t *testing.T) {
	env := newLiveEnv(t, DefaultRegistry)
	startTask(env.s, testTask("eeee", "api:v1"))
	arn := env.groupArn("/ecs/prod/api")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = arn
	}
	env.s.SetLiveTailOptions(LiveTailOptions{MaxSessions: 1})
	for _, c := range []struct {
		in   cloudwatchlogs.StartLiveTailInput
		code string
	}{
		{cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: eleven}, "InvalidParameterException"},
		{cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn, arn + "x"}, LogStreamNames: []string{"a"}}, "InvalidParameterException"},
		{cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogStreamNames: []string{"a"}, LogStreamNamePrefixes: []string{"b"}}, "InvalidParameterException"},
		{cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{"/ecs/prod/api"}}, "InvalidParameterException"},
		{cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn + "nope"}}, "ResourceNotFoundException"},
		{cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}, LogEventFilterPattern: aws.String(`{ $.level = `)}, "InvalidParameterException"},
	} {
		_, err := env.logs.StartLiveTail(context.Background(), &c.in, liveNoHostPrefix)
		if err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("%+v: %v, want %s", c.in, err, c.code)
		}
	}
	out, err := env.logs.StartLiveTail(context.Background(), &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}}, liveNoHostPrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer out.GetStream().Close()
	if _, err := env.logs.StartLiveTail(context.Background(), &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}}, liveNoHostPrefix); err == nil || !strings.Contains(err.Error(), "LimitExceededException") {
		t.Errorf("second session: %v", err)
	}
	// The SDK's host prefix on a local endpoint: "stream-127.0.0.1" does not
	// resolve, which is why clients turn it off with an endpoint override.
	if _, err := env.logs.StartLiveTail(context.Background(), &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}}); err == nil || !strings.Contains(err.Error(), "stream-127.0.0.1") {
		t.Errorf("with the host prefix: %v", err)
	}
	// A registry without it: UnknownOperationException.
	reg := NewRegistry()
	reg.Add(DefaultRegistry.Lookup(SvcLogs, "FilterLogEvents"))
	bare := newLiveEnv(t, reg)
	if _, err := bare.logs.StartLiveTail(context.Background(), &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn}}, liveNoHostPrefix); err == nil || !strings.Contains(err.Error(), "UnknownOperationException") {
		t.Errorf("without StartLiveTail: %v", err)
	}
	if r := env.s.Requests(); len(r) == 0 || r[len(r)-1].Op != "StartLiveTail" || r[len(r)-1].Mutating {
		t.Errorf("request log: %+v", r[len(r)-1])
	}
}
