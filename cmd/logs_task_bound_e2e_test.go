package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// taskTimesStripper stands between ecsctl and the sandbox: DescribeTasks
// answers lose every timestamp that says when a task began (as an
// independent AWS implementation answered), and FilterLogEvents is refused
// after maxFilter calls so that an unbounded read fails fast instead of
// making half a million calls.
type taskTimesStripper struct {
	next      http.Handler
	maxFilter int64
	filters   atomic.Int64
}

func (h *taskTimesStripper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if strings.HasSuffix(target, ".FilterLogEvents") && h.filters.Add(1) > h.maxFilter {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"InvalidParameterException","message":"test: too many FilterLogEvents calls"}`)
		return
	}
	if !strings.HasSuffix(target, ".DescribeTasks") {
		h.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var out map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &out) == nil {
		tasks, _ := out["tasks"].([]any)
		for _, t := range tasks {
			if m, ok := t.(map[string]any); ok {
				for _, k := range []string{"createdAt", "startedAt", "pullStartedAt", "pullStoppedAt", "connectivityAt"} {
					delete(m, k)
				}
			}
		}
		body, _ = json.Marshal(out)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// logs --task on a task that carries no start time reads from where its
// stream begins, in a handful of FilterLogEvents calls (today: from 1970 in
// one-hour slices, about half a million calls), and shows every event.
func TestE2ELogsTaskWithoutStartTimeIsBounded(t *testing.T) {
	sb := startSandbox(t, "small", "")
	h := &taskTimesStripper{next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The sandbox's own server, reached through its URL.
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, sb.url+r.URL.String(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}), maxFilter: 200}
	proxy := httptest.NewServer(h)
	t.Cleanup(proxy.Close)
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)

	tasks, err := sb.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("small"), ServiceName: aws.String("worker")})
	if err != nil || len(tasks.TaskArns) == 0 {
		t.Fatal(err)
	}
	id := tasks.TaskArns[0][strings.LastIndex(tasks.TaskArns[0], "/")+1:]
	until := logsNow(sb)
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, "logs", "-c", "small", "--task", id, "-o", "json", "--until", logsRFC(until))
	if code != ExitOK {
		t.Fatalf("exit %d after %d FilterLogEvents calls\n%s", code, h.filters.Load(), stderr)
	}
	written := sb.sim.LogEventsWritten("/ecs/small/worker", []string{"ecs/app/" + id}, time.Time{}, until)
	if len(written) == 0 {
		t.Fatal("the sandbox wrote no events for the task")
	}
	// One call per hour of the stream's life (the read's slice) and one per
	// page of events (the sandbox pages by 5), and a few more.
	hours := int(until.Sub(written[0].Timestamp).Hours()) + 1
	if n := sb.sim.RequestCounts()["logs.FilterLogEvents"]; n > hours+len(written)/sb.sim.PageSize()+3 {
		t.Errorf("%d FilterLogEvents calls for a task whose stream spans %d hours\n%s\n%v", n, hours, stderr, sb.sim.RequestCounts())
	}
	logsCompare(t, logsDecode(t, stdout), written)
}
