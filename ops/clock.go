package ops

import "time"

// Clock is the time source of every wait; tests pass a fake.
type Clock interface {
	Now() time.Time
	// After is time.After: a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// TypicalTaskStart is how long a task usually takes from placement to
// RUNNING on a warm instance (image cached): the estimate a wait gives
// before it has seen one of its own tasks start. Rotations and service
// scaling both use it.
const TypicalTaskStart = 20 * time.Second
