package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// newMetricsSim publishes, every minute, CPU utilization 10, 20, 30, ... for
// service prod/api and a fixed 25 % CPU reservation for cluster prod.
func newMetricsSim(t *testing.T) *Sim {
	t.Helper()
	calls := 0
	old := cwUsage
	cwUsage = func(s *Sim) []ClusterUsage {
		calls++
		return []ClusterUsage{{
			Cluster: "prod", CPURegistered: 4096, CPUReserved: 1024, MemRegistered: 8192, MemReserved: 4096,
			CPUUtilization: 50, MemUtilization: 40,
			Services: []ServiceUsage{
				{Service: "api", RunningTasks: 2, CPUReserved: 1024, MemReserved: 4096, CPUUtilization: float64(10 * calls), MemUtilization: 30},
				{Service: "idle", RunningTasks: 0},
			},
		}}
	}
	t.Cleanup(func() { cwUsage = old })
	s := New(Options{ManualClock: true, PageSize: 100, Start: logsTestStart})
	if err := s.LoadWorld(&World{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func cpuQuery(id, stat string, period int32) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"), Dimensions: []cwtypes.Dimension{
			{Name: aws.String("ServiceName"), Value: aws.String("api")}, {Name: aws.String("ClusterName"), Value: aws.String("prod")},
		}},
		Period: aws.Int32(period), Stat: aws.String(stat),
	}}
}

func TestCWGetMetricDataStatistics(t *testing.T) {
	s := newMetricsSim(t)
	s.Advance(10 * time.Minute) // samples at minutes 1..10: 10, 20, ..., 100
	start, end := logsTestStart, logsTestStart.Add(11*time.Minute)
	tests := []struct {
		stat string
		want string
	}{
		{"Average", "[100 70 25]"},
		{"Maximum", "[100 90 40]"},
		{"Minimum", "[100 50 10]"},
		{"Sum", "[100 350 100]"},
		{"SampleCount", "[1 5 4]"},
	}
	for _, tt := range tests {
		t.Run(tt.stat, func(t *testing.T) {
			locked(s, func() {
				out, err := s.cwGetMetricData(&cloudwatch.GetMetricDataInput{StartTime: &start, EndTime: &end, MetricDataQueries: []cwtypes.MetricDataQuery{cpuQuery("m1", tt.stat, 300)}})
				if err != nil {
					t.Fatal(err)
				}
				r := out.MetricDataResults[0]
				if fmt.Sprint(r.Values) != tt.want || r.StatusCode != cwtypes.StatusCodeComplete || aws.ToString(r.Id) != "m1" || aws.ToString(r.Label) != "CPUUtilization" {
					t.Fatalf("result %+v, want values %s", r, tt.want)
				}
				if !r.Timestamps[0].Equal(start.Add(10*time.Minute)) || !r.Timestamps[2].Equal(start) {
					t.Fatalf("timestamps %v", r.Timestamps)
				}
			})
		})
	}
	locked(s, func() {
		out, err := s.cwGetMetricData(&cloudwatch.GetMetricDataInput{StartTime: &start, EndTime: &end, ScanBy: cwtypes.ScanByTimestampAscending,
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("r"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUReservation"), Dimensions: []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("prod")}}},
				Period: aws.Int32(60), Stat: aws.String("Average")}}}})
		if err != nil {
			t.Fatal(err)
		}
		if v := out.MetricDataResults[0].Values; len(v) != 10 || v[0] != 25 {
			t.Fatalf("cluster CPU reservation %v", v)
		}
		lm, err := s.cwListMetrics(&cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/ECS"), Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("ServiceName")}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(lm.Metrics) != 2 { // CPU and memory utilization of api; none for idle
			t.Fatalf("service metrics: %d", len(lm.Metrics))
		}
	})
}

func TestCWGetMetricDataPagingAndErrors(t *testing.T) {
	s := newMetricsSim(t)
	s.Advance(10 * time.Minute)
	start, end := logsTestStart, logsTestStart.Add(11*time.Minute)
	locked(s, func() {
		var pages []string
		var tok *string
		for {
			out, err := s.cwGetMetricData(&cloudwatch.GetMetricDataInput{StartTime: &start, EndTime: &end, MaxDatapoints: aws.Int32(2), NextToken: tok,
				MetricDataQueries: []cwtypes.MetricDataQuery{cpuQuery("a", "Average", 300)}})
			if err != nil {
				t.Fatal(err)
			}
			r := out.MetricDataResults[0]
			pages = append(pages, fmt.Sprint(r.Values, r.StatusCode))
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		if fmt.Sprint(pages) != "[[100 70]PartialData [25]Complete]" {
			t.Fatalf("pages %v", pages)
		}
	})
	many := make([]cwtypes.MetricDataQuery, 501)
	for i := range many {
		many[i] = cpuQuery(fmt.Sprintf("q%d", i), "Average", 60)
	}
	expr := cwtypes.MetricDataQuery{Id: aws.String("e"), Expression: aws.String("SUM(METRICS())")}
	tests := []struct {
		name    string
		queries []cwtypes.MetricDataQuery
		code    string
	}{
		{"501 queries", many, "ValidationError"},
		{"500 queries", many[:500], ""},
		{"expression", []cwtypes.MetricDataQuery{expr}, "ValidationError"},
		{"period 90", []cwtypes.MetricDataQuery{cpuQuery("m", "Average", 90)}, "ValidationError"},
		{"percentile", []cwtypes.MetricDataQuery{cpuQuery("m", "p99", 60)}, "ValidationError"},
		{"duplicate ids", []cwtypes.MetricDataQuery{cpuQuery("m", "Average", 60), cpuQuery("m", "Sum", 60)}, "ValidationError"},
		{"bad id", []cwtypes.MetricDataQuery{cpuQuery("M1", "Average", 60)}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locked(s, func() {
				_, err := s.cwGetMetricData(&cloudwatch.GetMetricDataInput{StartTime: &start, EndTime: &end, MetricDataQueries: tt.queries})
				if apiCode(err) != tt.code || (tt.code == "" && err != nil) {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
			})
		})
	}
}

func TestCWRetentionIsBounded(t *testing.T) {
	s := newMetricsSim(t)
	s.Advance(5 * time.Hour)
	locked(s, func() {
		for _, ser := range s.cw.Series {
			if n := len(ser.Points); n > 3*60+16 || n < 3*60 {
				t.Fatalf("%s keeps %d points", ser.Name, n)
			}
		}
	})
}
