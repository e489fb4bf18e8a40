package render

import (
	"time"

	"ecsctl/ops"
)

// ticker calls f every interval on clock until stopped, so a live view
// moves while no event arrives.
type ticker struct {
	stop chan struct{}
	done chan struct{}
}

func startTicker(clock ops.Clock, every time.Duration, f func()) *ticker {
	t := &ticker{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for {
			select {
			case <-t.stop:
				return
			case <-clock.After(every):
				f()
			}
		}
	}()
	return t
}

// Stop ends the ticker and waits for a running f to return (nil-safe, once).
func (t *ticker) Stop() {
	if t == nil {
		return
	}
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}
