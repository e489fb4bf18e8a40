package sim

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

var logsTestStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newLogsSim(t *testing.T, seed int64, pageSize int) *Sim {
	t.Helper()
	return New(Options{ManualClock: true, Seed: seed, PageSize: pageSize, Start: logsTestStart})
}

// locked runs f with the account lock held, as an operation would.
func locked(s *Sim, f func()) {
	s.Lock()
	defer s.Unlock()
	f()
}

func testTask(id, image string) TaskInfo {
	return TaskInfo{
		TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/" + id,
		TaskID:  id, Cluster: "prod", Group: "service:api",
		Containers: []ContainerLogInfo{
			{Name: "app", Image: image, Essential: true, LogDriver: "awslogs", LogGroup: "/ecs/prod/api", StreamPrefix: "ecs"},
			{Name: "envoy", Image: "envoyproxy/envoy:v1.30", Essential: false, LogDriver: "awslogs", LogGroup: "/ecs/prod/api", StreamPrefix: "ecs"},
			{Name: "fluent", Image: "fluent-bit:2", Essential: false, LogDriver: "fluentd"},
		},
	}
}

func startTask(s *Sim, ti TaskInfo) {
	locked(s, func() {
		ti.StartedAt = s.Now()
		s.logsTaskStarted(ti)
	})
}

func apiCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestLogsTaskStreamsNamedAndOnlyAwslogs(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	startTask(s, testTask("0123abcd", "api:v1"))
	s.Advance(11 * time.Minute) // past a lastEventTimestamp refresh
	var out *cloudwatchlogs.DescribeLogStreamsOutput
	locked(s, func() {
		var err error
		out, err = s.logsDescribeLogStreams(&cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/prod/api")})
		if err != nil {
			t.Fatal(err)
		}
	})
	var names []string
	for _, st := range out.LogStreams {
		names = append(names, aws.ToString(st.LogStreamName))
		if st.LastEventTimestamp == nil || st.FirstEventTimestamp == nil || st.LastIngestionTime == nil {
			t.Errorf("stream %s lacks event times", aws.ToString(st.LogStreamName))
		}
	}
	if got, want := strings.Join(names, ","), "ecs/app/0123abcd,ecs/envoy/0123abcd"; got != want {
		t.Fatalf("streams = %s, want %s", got, want)
	}
	app := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/0123abcd"}, time.Time{}, time.Time{})
	if len(app) < 6 || !strings.Contains(app[0].Message, "starting app") {
		t.Fatalf("app stream: %d events, first %+v", len(app), app)
	}
}

func TestLogsLazyGenerationIsDeterministic(t *testing.T) {
	run := func(seed int64, readEvery time.Duration) []LogEventRecord {
		s := newLogsSim(t, seed, 100)
		startTask(s, testTask("feedface", "api:v1"))
		for waited := time.Duration(0); waited < 30*time.Minute; waited += readEvery {
			s.Advance(readEvery)
			s.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{})
		}
		return s.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{})
	}
	a := run(7, 9*time.Second)
	b := run(7, 30*time.Minute)
	c := run(8, 30*time.Minute)
	if len(a) < 100 {
		t.Fatalf("only %d events in 30 minutes", len(a))
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("reading often changed the events: %d vs %d events", len(a), len(b))
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatal("another seed produced the same events")
	}
	ids := map[string]bool{}
	late := 0
	for i, e := range a {
		if ids[e.ID] {
			t.Fatalf("duplicate event id %s", e.ID)
		}
		ids[e.ID] = true
		if len(e.ID) != 56 {
			t.Fatalf("event id %q is not 56 digits", e.ID)
		}
		if e.IngestionTime.Before(e.Timestamp) {
			t.Fatalf("event %d ingested before its timestamp", i)
		}
		if e.IngestionTime.Sub(e.Timestamp) > time.Second {
			late++
		}
	}
	if late == 0 {
		t.Fatal("no late events with the default late fraction")
	}
}

func TestLogsLateEventsInvisibleBeforeIngestion(t *testing.T) {
	const group, stream = "/ecs/prod/api", "ecs/app/0badcafe"
	truth := newLogsSim(t, 3, 100)
	startTask(truth, testTask("0badcafe", "api:v1"))
	truth.Advance(time.Hour)
	var late *LogEventRecord
	all := truth.LogEventsWritten(group, []string{stream}, time.Time{}, time.Time{})
	for i := range all {
		if all[i].IngestionTime.Sub(all[i].Timestamp) > 3*time.Second {
			late = &all[i]
			break
		}
	}
	if late == nil {
		t.Fatal("no late event in an hour")
	}
	// A second account with the same seed, read just before the late event
	// is ingested: it is missing, though newer events are there.
	s := newLogsSim(t, 3, 100)
	startTask(s, testTask("0badcafe", "api:v1"))
	s.Advance(late.IngestionTime.Add(-time.Millisecond).Sub(logsTestStart))
	has := func() (found, newer bool) {
		locked(s, func() {
			out, err := s.logsGetLogEvents(&cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out.Events {
				if aws.ToString(e.Message) == late.Message && aws.ToInt64(e.Timestamp) == late.Timestamp.UnixMilli() {
					found = true
				}
				if aws.ToInt64(e.Timestamp) > late.Timestamp.UnixMilli() {
					newer = true
				}
			}
		})
		return
	}
	if found, newer := has(); found || !newer {
		t.Fatalf("before ingestion: found=%v newer=%v, want the late event hidden behind newer ones", found, newer)
	}
	s.Advance(time.Millisecond)
	if found, _ := has(); !found {
		t.Fatal("late event not visible at its ingestion time")
	}
	s.Advance(time.Minute)
	for _, e := range s.LogEventsIngestedBy(group, []string{stream}, time.Time{}, time.Time{}, late.IngestionTime.Add(-time.Millisecond)) {
		if e.ID == late.ID {
			t.Fatal("LogEventsIngestedBy includes an event ingested after its bound")
		}
	}
}

func TestLogsGetLogEventsTokens(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	const group, stream = "/ecs/prod/api", "ecs/app/aaaa"
	startTask(s, testTask("aaaa", "api:v1"))
	s.Advance(20 * time.Minute)
	want := s.LogEventsWritten(group, []string{stream}, time.Time{}, time.Time{})
	var got []string
	var token *string
	locked(s, func() {
		for i := 0; i < 1000; i++ {
			out, err := s.logsGetLogEvents(&cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
				StartFromHead: aws.Bool(true), Limit: aws.Int32(7), NextToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out.Events {
				got = append(got, aws.ToString(e.Message))
			}
			if token != nil && aws.ToString(out.NextForwardToken) == *token {
				if len(out.Events) != 0 {
					t.Fatal("same token returned with events")
				}
				return
			}
			token = out.NextForwardToken
		}
		t.Fatal("forward paging never returned the same token")
	})
	if len(got) != len(want) {
		t.Fatalf("paged %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i].Message {
			t.Fatalf("event %d: %q, want %q", i, got[i], want[i].Message)
		}
	}
	// Default (from the tail): the last events, oldest first; then backwards.
	locked(s, func() {
		out, err := s.logsGetLogEvents(&cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(5),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 5 || aws.ToString(out.Events[4].Message) != want[len(want)-1].Message {
			t.Fatalf("tail page: %d events", len(out.Events))
		}
		back, err := s.logsGetLogEvents(&cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(5), NextToken: out.NextBackwardToken,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Events) != 5 || aws.ToString(back.Events[4].Message) != want[len(want)-6].Message {
			t.Fatalf("backward page: %d events", len(back.Events))
		}
		_, err = s.logsGetLogEvents(&cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String("nope"),
		})
		if apiCode(err) != "ResourceNotFoundException" {
			t.Fatalf("missing stream: %v", err)
		}
	})
}

func putEvents(t *testing.T, s *Sim, group, stream string, msgs []string) {
	t.Helper()
	locked(s, func() {
		if s.logs.Groups[group] == nil {
			if _, err := s.logsCreateLogGroup(&cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
				t.Fatal(err)
			}
		}
		if s.logs.Groups[group].Streams[stream] == nil {
			if _, err := s.logsCreateLogStream(&cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
				t.Fatal(err)
			}
		}
		var evs []cwltypes.InputLogEvent
		base := s.Now().Add(-time.Minute).UnixMilli()
		for i, m := range msgs {
			evs = append(evs, cwltypes.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(base + int64(i))})
		}
		out, err := s.logsPutLogEvents(&cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs})
		if err != nil || out.RejectedLogEventsInfo != nil {
			t.Fatalf("put: %v %+v", err, out)
		}
	})
}

func TestLogsFilterPagingHasEmptyPages(t *testing.T) {
	s := newLogsSim(t, 1, 2) // scans 20 events per call
	var msgs []string
	for i := 0; i < 100; i++ {
		msgs = append(msgs, fmt.Sprintf("line %d ok", i))
	}
	msgs[90] = "line 90 needle"
	putEvents(t, s, "/app", "one", msgs)
	var pages, empty int
	var found []string
	var token *string
	locked(s, func() {
		for {
			out, err := s.logsFilterLogEvents(&cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String("/app"), FilterPattern: aws.String("needle"), NextToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.Events) == 0 && out.NextToken != nil {
				empty++
			}
			for _, e := range out.Events {
				found = append(found, aws.ToString(e.Message))
				if aws.ToString(e.EventId) == "" || aws.ToString(e.LogStreamName) != "one" || e.IngestionTime == nil {
					t.Fatalf("event lacks fields: %+v", e)
				}
			}
			if out.NextToken == nil {
				return
			}
			token = out.NextToken
		}
	})
	if len(found) != 1 || found[0] != "line 90 needle" {
		t.Fatalf("found %v", found)
	}
	if empty < 3 || pages != 5 {
		t.Fatalf("pages=%d empty=%d, want 5 pages with empty ones", pages, empty)
	}
}

func TestLogsFilterPagesCoverGroundTruth(t *testing.T) {
	s := newLogsSim(t, 5, 10)
	for _, id := range []string{"t1", "t2", "t3"} {
		startTask(s, testTask(id, "api:v1"))
	}
	s.Advance(15 * time.Minute)
	from := logsTestStart.Add(2 * time.Minute)
	want := s.LogEventsWritten("/ecs/prod/api", nil, from, time.Time{})
	for _, head := range []bool{true, false} {
		t.Run(fmt.Sprintf("startFromHead=%v", head), func(t *testing.T) {
			var got []string
			var token *string
			locked(s, func() {
				for {
					out, err := s.logsFilterLogEvents(&cloudwatchlogs.FilterLogEventsInput{
						LogGroupName: aws.String("/ecs/prod/api"), StartTime: aws.Int64(from.UnixMilli()), Limit: aws.Int32(33),
						StartFromHead: aws.Bool(head), NextToken: token,
					})
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range out.Events {
						got = append(got, aws.ToString(e.EventId))
					}
					if out.NextToken == nil {
						return
					}
					token = out.NextToken
				}
			})
			if len(got) != len(want) {
				t.Fatalf("paged %d events, ground truth %d", len(got), len(want))
			}
			for i := range want {
				j := i
				if !head {
					j = len(want) - 1 - i
				}
				if got[i] != want[j].ID {
					t.Fatalf("event %d is %s, want %s", i, got[i], want[j].ID)
				}
			}
		})
	}
}

func TestLogsFilterArgumentErrors(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	putEvents(t, s, "/app", "one", []string{"x"})
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("s%d", i)
	}
	locked(s, func() {
		for _, n := range many[:100] {
			if _, err := s.logsCreateLogStream(&cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String(n)}); err != nil {
				t.Fatal(err)
			}
		}
	})
	oneMissing := append(append([]string{}, many[:99]...), "nope")
	tests := []struct {
		name string
		in   cloudwatchlogs.FilterLogEventsInput
		code string
	}{
		{"101 stream names", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), LogStreamNames: many}, "InvalidParameterException"},
		{"names and prefix", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), LogStreamNames: []string{"one"}, LogStreamNamePrefix: aws.String("o")}, "InvalidParameterException"},
		{"missing group", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/nope")}, "ResourceNotFoundException"},
		{"bad token", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), NextToken: aws.String("%%")}, "InvalidParameterException"},
		{"tail before 2024", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), StartFromHead: aws.Bool(false)}, "InvalidParameterException"},
		{"space-delimited pattern", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), FilterPattern: aws.String("[ip, user]")}, "InvalidParameterException"},
		{"100 names", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), LogStreamNames: many[:100]}, ""},
		{"one name missing", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), LogStreamNames: oneMissing}, "ResourceNotFoundException"},
		{"existing names", cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/app"), LogStreamNames: []string{"one", "one"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locked(s, func() {
				_, err := s.logsFilterLogEvents(&tt.in)
				if apiCode(err) != tt.code || (tt.code == "" && err != nil) {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
			})
		})
	}
}

func TestLogsFilterPatterns(t *testing.T) {
	msgs := []string{
		`ERROR request failed: connection refused`,
		`WARN slow query`,
		`INFO GET /healthz 200`,
		`{"level":"error","msg":"db timeout","duration_ms":5000,"req":{"path":"/v1/orders"}}`,
		`{"level":"info","msg":"ok","duration_ms":12}`,
	}
	tests := []struct {
		pattern string
		want    []int
	}{
		{"", []int{0, 1, 2, 3, 4}},
		{"ERROR", []int{0}},
		{"ERROR refused", []int{0}},
		{`"connection refused"`, []int{0}},
		{`"refused connection"`, nil},
		{"?ERROR ?WARN", []int{0, 1}},
		{"INFO -healthz", nil},
		{"-healthz", []int{0, 1, 3, 4}},
		{`{ $.level = "error" }`, []int{3}},
		{`{ $.level != "error" }`, []int{4}},
		{`{ $.duration_ms > 100 }`, []int{3}},
		{`{ $.req.path = "/v1/*" }`, []int{3}},
		{`{ $.level = "info" || $.duration_ms >= 5000 }`, []int{3, 4}},
		{`{ $.level = "info" && $.duration_ms >= 5000 }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			f, err := parseFilterPattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for i, m := range msgs {
				if f.match(m) {
					got = append(got, i)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("matched %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLogsPutLogEventsRejections(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	putEvents(t, s, "/app", "one", []string{"seed"})
	now := logsTestStart.UnixMilli()
	ev := func(ts int64) cwltypes.InputLogEvent {
		return cwltypes.InputLogEvent{Message: aws.String("m"), Timestamp: aws.Int64(ts)}
	}
	locked(s, func() {
		out, err := s.logsPutLogEvents(&cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String("/app"), LogStreamName: aws.String("one"),
			LogEvents: []cwltypes.InputLogEvent{ev(now - 15*24*3600*1000), ev(now - 1000), ev(now), ev(now + 3*3600*1000)},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := out.RejectedLogEventsInfo
		if r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 1 || aws.ToInt32(r.TooNewLogEventStartIndex) != 3 {
			t.Fatalf("rejected = %+v", r)
		}
		_, err = s.logsPutLogEvents(&cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String("/app"), LogStreamName: aws.String("one"),
			LogEvents: []cwltypes.InputLogEvent{ev(now), ev(now - 1)},
		})
		if apiCode(err) != "InvalidParameterException" {
			t.Fatalf("out of order: %v", err)
		}
		_, err = s.logsPutLogEvents(&cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String("/app"), LogStreamName: aws.String("two"), LogEvents: []cwltypes.InputLogEvent{ev(now)},
		})
		if apiCode(err) != "ResourceNotFoundException" {
			t.Fatalf("missing stream: %v", err)
		}
		_, err = s.logsCreateLogGroup(&cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app")})
		if apiCode(err) != "ResourceAlreadyExistsException" {
			t.Fatalf("duplicate group: %v", err)
		}
	})
	if got := len(s.LogEventsWritten("/app", nil, time.Time{}, time.Time{})); got != 3 {
		t.Fatalf("%d events stored, want 3", got)
	}
}

func TestLogsCrashImageAndStop(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	ti := testTask("c0ffee", "api:crash-bad-config")
	startTask(s, ti)
	s.Advance(s.Timings.CrashAfter.D() + time.Second)
	locked(s, func() { s.logsTaskStopped(ti.TaskArn, map[string]int{"app": 1, "envoy": 143}) })
	s.Advance(10 * time.Minute)
	app := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/c0ffee"}, time.Time{}, time.Time{})
	var text []string
	for _, e := range app {
		text = append(text, e.Message)
	}
	joined := strings.Join(text, "\n")
	if !strings.Contains(joined, "panic: startup failed") || !strings.Contains(joined, "goroutine 1 [running]:") {
		t.Fatalf("crash stream lacks the stack trace:\n%s", joined)
	}
	stop := logsTestStart.Add(s.Timings.CrashAfter.D() + time.Second)
	for _, e := range s.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{}) {
		if !e.Timestamp.Before(stop) {
			t.Fatalf("event after the task stopped: %+v", e)
		}
	}
	envoy := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/envoy/c0ffee"}, time.Time{}, time.Time{})
	if len(envoy) == 0 || !strings.Contains(envoy[len(envoy)-1].Message, "shutdown complete") {
		t.Fatalf("envoy stream does not end with its shutdown: %+v", envoy)
	}
}

func TestLogsRetentionBoundsMemory(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	locked(s, func() { s.logs.Config.RetainEvents = 50; s.logs.Config.LinesPerMinute = 60 })
	startTask(s, testTask("beef", "api:v1"))
	for i := 0; i < 30; i++ {
		s.Advance(time.Minute)
		s.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{})
	}
	locked(s, func() {
		st := s.logs.Groups["/ecs/prod/api"].Streams["ecs/app/beef"]
		if len(st.Events) > 50+50/4 || st.Dropped == 0 {
			t.Fatalf("%d events kept, %d dropped", len(st.Events), st.Dropped)
		}
	})
	if got := len(s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/beef"}, time.Time{}, time.Time{})); got != 50 {
		t.Fatalf("%d events readable, want 50", got)
	}
}

func TestLogsDescribePagingAndOrder(t *testing.T) {
	s := newLogsSim(t, 1, 2)
	for _, g := range []string{"/ecs/a", "/ecs/b", "/ecs/c", "/other"} {
		putEvents(t, s, g, "x", []string{"m"})
	}
	locked(s, func() {
		var names []string
		var tok *string
		for {
			out, err := s.logsDescribeLogGroups(&cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/"), NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range out.LogGroups {
				names = append(names, aws.ToString(g.LogGroupName))
			}
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if fmt.Sprint(names) != "[/ecs/a /ecs/b /ecs/c]" {
			t.Fatalf("groups %v", names)
		}
	})
	for i, st := range []string{"s3", "s1", "s2"} {
		s.Advance(time.Second)
		putEvents(t, s, "/ecs/a", st, []string{fmt.Sprint(i)})
	}
	byLastEvent := func() []string {
		var names []string
		locked(s, func() {
			var tok *string
			for {
				out, err := s.logsDescribeLogStreams(&cloudwatchlogs.DescribeLogStreamsInput{
					LogGroupName: aws.String("/ecs/a"), OrderBy: cwltypes.OrderByLastEventTime, Descending: aws.Bool(true), NextToken: tok,
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range out.LogStreams {
					names = append(names, aws.ToString(st.LogStreamName))
				}
				if tok = out.NextToken; tok == nil {
					break
				}
			}
		})
		return names
	}
	locked(s, func() {
		_, err := s.logsDescribeLogStreams(&cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/a"), OrderBy: cwltypes.OrderByLastEventTime, LogStreamNamePrefix: aws.String("s")})
		if apiCode(err) != "InvalidParameterException" {
			t.Fatalf("prefix with LastEventTime: %v", err)
		}
	})
	s.Advance(10 * time.Minute)
	if got := fmt.Sprint(byLastEvent()); got != "[s2 s1 s3 x]" {
		t.Fatalf("streams by last event, newest first: %v", got)
	}
	// lastEventTimestamp lags: a stream just written to is not yet first.
	putEvents(t, s, "/ecs/a", "x", []string{"new"})
	if got := fmt.Sprint(byLastEvent()); got != "[s2 s1 s3 x]" {
		t.Fatalf("right after a write: %v", got)
	}
	s.Advance(10 * time.Minute)
	if got := fmt.Sprint(byLastEvent()); got != "[x s2 s1 s3]" {
		t.Fatalf("after the refresh: %v", got)
	}
}

func TestLogsWorldLoaderAndSaveLoad(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	late := 0.5
	w := &World{
		// Two instances for the standalone task to run on.
		AMIs:            []AMISpec{{ID: "ami-0123456789abcdef0", Name: "al2023-ami-ecs-hvm-test"}},
		LaunchTemplates: []LaunchTemplateSpec{{Name: "prod-ecs", Versions: []LaunchTemplateVersionSpec{{ImageID: "ami-0123456789abcdef0", InstanceType: "m5.large", Cluster: "prod"}}}},
		AutoScalingGroups: []ASGSpec{{Name: "prod-ecs", LaunchTemplate: "prod-ecs", Min: 2, Max: 2, Desired: 2,
			Instances: []InstanceGroupSpec{{Count: 2}}}},
		Logs: &LogsSpec{LateFraction: &late, LinesPerMinute: 20},
		Clusters: []ClusterSpec{{Name: "prod",
			Services: []ServiceSpec{{Name: "api", Containers: []ContainerSpec{{Name: "app", Image: "api:v1"}, {Name: "log", Image: "x", LogDriver: "fluentd", LogGroup: "/nope"}}}},
			Tasks:    []StandaloneTaskSpec{{Family: "batch", Count: 1, Containers: []ContainerSpec{{Name: "job", Image: "job:1", LogGroup: "/jobs"}}}},
		}},
	}
	// ECS's loader runs first and starts tasks before the groups exist.
	startTask(s, testTask("early", "api:v1"))
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	locked(s, func() {
		if _, ok := s.logs.Groups["/jobs"]; !ok {
			t.Error("no group /jobs")
		}
		if _, ok := s.logs.Groups["/nope"]; ok {
			t.Error("group for a fluentd container")
		}
		if g := s.logs.Groups["/ecs/prod/api"]; g == nil || g.RetentionDays != 30 || len(g.Streams) != 2 {
			t.Errorf("group /ecs/prod/api = %+v", g)
		}
		if s.logs.Config.LateFraction != 0.5 || s.logs.Config.LinesPerMinute != 20 {
			t.Errorf("config %+v", s.logs.Config)
		}
	})
	s.Advance(5 * time.Minute)
	before := s.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{})
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{}); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("after load: %d events, before %d", len(got), len(before))
	}
	s.Advance(5 * time.Minute)
	s2.Advance(5 * time.Minute)
	a := s.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{})
	b := s2.LogEventsWritten("/ecs/prod/api", nil, time.Time{}, time.Time{})
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) <= len(before) {
		t.Fatalf("generation after load diverged: %d vs %d events", len(a), len(b))
	}
}

func TestLogsLongRunningTaskReadsOnlyRetainedSlots(t *testing.T) {
	s := newLogsSim(t, 1, 100)
	locked(s, func() { s.logs.Config.RetainEvents = 200 })
	ti := testTask("old", "api:v1")
	locked(s, func() {
		ti.StartedAt = s.Now().Add(-10 * 24 * time.Hour) // running for ten days at load
		s.logsTaskStarted(ti)
	})
	got := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/old"}, time.Time{}, time.Time{})
	if len(got) != 200 {
		t.Fatalf("%d events, want the 200 retained", len(got))
	}
	if age := logsTestStart.Sub(got[0].Timestamp); age > 2*time.Hour {
		t.Fatalf("oldest retained event is %v old", age)
	}
	// The same events as a reader that followed the stream all along would
	// keep for the last hour.
	s2 := newLogsSim(t, 1, 100)
	locked(s2, func() {
		s2.logs.Config.RetainEvents = 200
		s2.logsTaskStarted(ti)
	})
	from := logsTestStart.Add(-time.Hour)
	if a, b := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/old"}, from, time.Time{}), s2.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/old"}, from, time.Time{}); fmt.Sprint(a) != fmt.Sprint(b) || len(a) == 0 {
		t.Fatalf("last hour differs: %d vs %d events", len(a), len(b))
	}
}

func TestLogsAccountWideCapEvictsLeastRecentlyRead(t *testing.T) {
	old := logsMaxAccountEvents
	logsMaxAccountEvents = 400
	defer func() { logsMaxAccountEvents = old }()
	s := newLogsSim(t, 1, 100)
	locked(s, func() { s.logs.Config.LinesPerMinute = 60 })
	startTask(s, testTask("first", "api:v1"))
	startTask(s, testTask("second", "api:v1"))
	s.Advance(2 * time.Minute)
	s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/first"}, time.Time{}, time.Time{})
	s.Advance(time.Second)
	s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/second"}, time.Time{}, time.Time{})
	s.Advance(3 * time.Minute)
	// Reading "second" again pushes the account over its cap: "first", read
	// longest ago, loses its events; "second" keeps its own.
	second := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/second"}, time.Time{}, time.Time{})
	locked(s, func() {
		if s.logs.total > logsMaxAccountEvents {
			t.Fatalf("account holds %d events, cap %d", s.logs.total, logsMaxAccountEvents)
		}
		first := s.logs.Groups["/ecs/prod/api"].Streams["ecs/app/first"]
		if len(first.Events) != 0 || first.Dropped == 0 {
			t.Fatalf("first stream kept %d events", len(first.Events))
		}
	})
	if len(second) < 250 {
		t.Fatalf("second stream has %d events", len(second))
	}
}
