package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// BenchmarkLogsLargeWorldTail follows one service's group in an account with
// 3,000 running tasks: the cost is that group's events, not the account's.
func BenchmarkLogsLargeWorldTail(b *testing.B) {
	s := New(Options{ManualClock: true, Start: logsTestStart})
	locked(s, func() {
		for i := 0; i < 3000; i++ {
			ti := testTask(fmt.Sprintf("%032x", i), "api:v1")
			for j := range ti.Containers {
				ti.Containers[j].LogGroup = fmt.Sprintf("/ecs/prod/svc%d", i/3)
			}
			ti.StartedAt = s.Now()
			s.logsTaskStarted(ti)
		}
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Advance(5 * time.Second)
		locked(s, func() {
			_, err := s.logsFilterLogEvents(&cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String("/ecs/prod/svc7"), StartTime: aws.Int64(s.Now().Add(-time.Minute).UnixMilli()),
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
