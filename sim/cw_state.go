package sim

import (
	"sort"
	"strings"
	"time"
)

// CloudWatch metrics: the AWS/ECS metrics ECS publishes every minute, read
// from ECS through s.ecsUsage() by a publisher event every
// Timings.MetricsPeriod. Each series keeps cwRetention of samples.

type cwState struct {
	Series map[string]*MetricSeries `json:"series"`
	// Publishing is true once the publisher event is scheduled.
	Publishing bool `json:"publishing"`
}

// MetricSeries is one metric (namespace, name and dimension set).
type MetricSeries struct {
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name"`
	Dimensions []MetricDimension `json:"dimensions"` // sorted by name
	Unit       string            `json:"unit"`
	Points     []MetricPoint     `json:"points"` // by time
}

// MetricDimension is one dimension of a series.
type MetricDimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MetricPoint is one published sample.
type MetricPoint struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

const (
	cwRetention    = 3 * time.Hour
	evMetricsTick  = "cw.publish"
	nsECS          = "AWS/ECS"
	unitPercent    = "Percent"
	dimClusterName = "ClusterName"
	dimServiceName = "ServiceName"
)

func newCWState() *cwState { return &cwState{Series: map[string]*MetricSeries{}} }

func init() {
	registerEvent(evMetricsTick, func(s *Sim, _ string) { s.cwPublish() })
	registerWorldLoader(loadOrderRest, "cloudwatch", func(s *Sim, w *World) error {
		s.cwStartPublishing()
		return nil
	})
	registerAfterLoad(func(s *Sim) {
		if s.cw == nil {
			s.cw = newCWState()
		}
	})
}

// cwStartPublishing schedules the first publication (once).
func (s *Sim) cwStartPublishing() {
	if s.cw.Publishing {
		return
	}
	s.cw.Publishing = true
	s.after(s.metricsPeriod(), evMetricsTick, "")
}

func (s *Sim) metricsPeriod() time.Duration {
	if p := s.Timings.MetricsPeriod.D(); p > 0 {
		return p
	}
	return time.Minute
}

// cwPublish records one sample of every ECS metric and schedules the next.
func (s *Sim) cwPublish() {
	defer s.after(s.metricsPeriod(), evMetricsTick, "")
	for _, c := range cwUsage(s) {
		cl := []MetricDimension{{dimClusterName, c.Cluster}}
		if c.CPURegistered > 0 {
			s.cwRecord(nsECS, "CPUReservation", cl, pct(c.CPUReserved, c.CPURegistered))
		}
		if c.MemRegistered > 0 {
			s.cwRecord(nsECS, "MemoryReservation", cl, pct(c.MemReserved, c.MemRegistered))
		}
		if c.CPURegistered > 0 || c.MemRegistered > 0 {
			// A cluster with container instances reports utilization, 0 when idle.
			s.cwRecord(nsECS, "CPUUtilization", cl, c.CPUUtilization)
			s.cwRecord(nsECS, "MemoryUtilization", cl, c.MemUtilization)
		}
		for _, svc := range c.Services {
			if svc.RunningTasks == 0 {
				continue // ECS publishes nothing for a service with no running task
			}
			dims := []MetricDimension{{dimClusterName, c.Cluster}, {dimServiceName, svc.Service}}
			s.cwRecord(nsECS, "CPUUtilization", dims, svc.CPUUtilization)
			s.cwRecord(nsECS, "MemoryUtilization", dims, svc.MemUtilization)
		}
	}
}

// cwUsage reads ECS's usage; tests replace it to publish known figures.
var cwUsage = func(s *Sim) []ClusterUsage { return s.ecsUsage() }

func pct(part, whole int) float64 { return 100 * float64(part) / float64(whole) }

func seriesKey(ns, name string, dims []MetricDimension) string {
	var b strings.Builder
	b.WriteString(ns + "\x00" + name)
	for _, d := range dims {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}

func sortDims(dims []MetricDimension) []MetricDimension {
	out := append([]MetricDimension(nil), dims...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cwRecord appends a sample at the present and drops samples past retention.
func (s *Sim) cwRecord(ns, name string, dims []MetricDimension, v float64) {
	dims = sortDims(dims)
	key := seriesKey(ns, name, dims)
	ser := s.cw.Series[key]
	if ser == nil {
		ser = &MetricSeries{Namespace: ns, Name: name, Dimensions: dims, Unit: unitPercent}
		s.cw.Series[key] = ser
	}
	ser.Points = append(ser.Points, MetricPoint{T: s.now, V: v})
	cut := s.now.Add(-cwRetention)
	drop := 0
	for drop < len(ser.Points) && ser.Points[drop].T.Before(cut) {
		drop++
	}
	if drop >= 16 { // compact now and then; reads filter by time anyway
		ser.Points = append(ser.Points[:0:0], ser.Points[drop:]...)
	}
}
