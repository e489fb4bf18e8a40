package ops

import "ecsctl/ops/opstest"

// fakeClock moves time forward by whatever is waited for, at once.
type fakeClock = opstest.Clock

func newFakeClock() *fakeClock { return opstest.NewClock() }
