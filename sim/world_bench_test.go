package sim

import (
	"context"
	"net/http/httptest"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// BenchmarkLargeWorld measures the simulation's cost on the large world
// (1,000 services, 500 instances, about 3,000 tasks):
//
//	go test ./sim -run XXX -bench LargeWorld -benchtime 20x
//
// load: time and heap to build the account. minute-steady: the CPU cost of
// one virtual minute with nothing changing; minute-deploying: the same with
// 50 services rolling at once (force-new-deployment). At --speed 60 one
// virtual minute passes per real second, so cpu-share@60x is the fraction of
// one core the simulation needs to keep up.
func BenchmarkLargeWorld(b *testing.B) {
	w, _ := BuiltinWorld("large")
	b.Run("load", func(b *testing.B) {
		var heap uint64
		for i := 0; i < b.N; i++ {
			s := New(Options{ManualClock: true, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err := s.LoadWorld(w); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap = ms.HeapAlloc
			runtime.KeepAlive(s)
		}
		b.ReportMetric(float64(heap)/1e6, "heap-MB")
	})
	for _, deploying := range []int{0, 50} {
		name := "minute-steady"
		if deploying > 0 {
			name = "minute-deploying"
		}
		b.Run(name, func(b *testing.B) {
			s := New(Options{ManualClock: true, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err := s.LoadWorld(w); err != nil {
				b.Fatal(err)
			}
			s.Advance(10 * time.Minute)
			for i := 0; i < deploying; i++ {
				name := w.Clusters[0].Services[i].Name
				s.Lock()
				_, err := s.ecsUpdateService(&ecs.UpdateServiceInput{Cluster: aws.String("large"), Service: aws.String(name), ForceNewDeployment: true})
				s.Unlock()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s.Advance(time.Minute)
			}
			perMinute := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(perMinute.Seconds(), "cpu-share@60x")
		})
	}
}

// BenchmarkLargeWorldAPI measures request latency through the real SDK
// client over loopback HTTP on the large world, with p50 and p99:
//
//	go test ./sim -run XXX -bench LargeWorldAPI -benchtime 300x
func BenchmarkLargeWorldAPI(b *testing.B) {
	w, _ := BuiltinWorld("large")
	s := New(Options{ManualClock: true, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err := s.LoadWorld(w); err != nil {
		b.Fatal(err)
	}
	s.Advance(10 * time.Minute)
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	defer srv.Close()
	client := ecs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		BaseEndpoint: aws.String(srv.URL), HTTPClient: NewSDKHTTPClient()})
	ctx := context.Background()
	var names []string
	for _, sv := range w.Clusters[0].Services[:10] {
		names = append(names, sv.Name)
	}
	ci, err := client.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String("large")})
	if err != nil {
		b.Fatal(err)
	}
	calls := map[string]func() error{
		"DescribeServices-10": func() error {
			_, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("large"), Services: names})
			return err
		},
		"ListServices-page": func() error {
			_, err := client.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("large"), MaxResults: aws.Int32(100)})
			return err
		},
		"DescribeContainerInstances-100": func() error {
			_, err := client.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("large"), ContainerInstances: ci.ContainerInstanceArns})
			return err
		},
	}
	for _, name := range []string{"DescribeServices-10", "ListServices-page", "DescribeContainerInstances-100"} {
		call := calls[name]
		b.Run(name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := call(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
