// Package opstest holds what the ops packages' tests share.
package opstest

import (
	"sync"
	"time"
)

// Clock is an ops.Clock for tests that moves time forward by whatever is
// waited for, at once.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at a fixed instant, so outputs are the same every run.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After moves the clock by d and returns a channel that already holds the
// new time.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}
