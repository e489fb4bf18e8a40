package cmd

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// serverClock is "now" as AWS sees it: the local clock corrected by the
// offset of the Date header of the latest AWS response. Ages in the
// overviews ("deployment started 3m ago") are differences between AWS
// timestamps and now, so a laptop whose clock is off — or the sandbox, whose
// clock may run faster than real time — would otherwise show wrong ages.
type serverClock struct {
	offset atomic.Int64 // nanoseconds to add to the local clock
	seen   atomic.Bool  // a response's Date header has been read
}

// Now is the local time corrected to the server's.
func (s *serverClock) Now() time.Time { return time.Now().Add(time.Duration(s.offset.Load())) }

// After waits in real time.
func (s *serverClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// observe learns the offset from one response's Date header (whole seconds,
// so differences under two seconds are left alone).
func (s *serverClock) observe(date string, received time.Time) {
	at, err := http.ParseTime(date)
	if err != nil {
		return
	}
	s.seen.Store(true)
	off := at.Add(500 * time.Millisecond).Sub(received)
	if d := off - time.Duration(s.offset.Load()); d > 2*time.Second || d < -2*time.Second {
		s.offset.Store(int64(off))
	}
}

// middleware records every response's Date header.
func (s *serverClock) middleware(st *middleware.Stack) error {
	return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("ecsctlServerClock",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil {
				if d := resp.Header.Get("Date"); d != "" {
					s.observe(d, time.Now())
				}
			}
			return out, md, err
		}), middleware.After)
}

// clockProbe is any cheap call whose response carries a Date header.
type clockProbe interface {
	ListClusters(ctx context.Context, in *ecs.ListClustersInput, optFns ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
}

// accountNow is "now" on the account's clock, for resolving --since and
// --until: when no AWS response has been seen yet it makes one cheap call
// (ListClusters, one result; its error, if any, is left to the command's
// own calls) to learn the clock. Without it a sandbox ahead of the wall
// clock, or a laptop whose clock is off, would read the wrong window.
func (s *serverClock) accountNow(ctx context.Context, probe clockProbe) time.Time {
	if !s.seen.Load() && probe != nil {
		_, _ = probe.ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(1)})
	}
	return s.Now()
}
