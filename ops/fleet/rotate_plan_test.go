package fleet

import (
	"fmt"
	"testing"
	"time"
)

func TestChooseRotateSize(t *testing.T) {
	always := func(int, int) bool { return true }
	upTo := func(n int) func(int, int) bool { return func(b, _ int) bool { return b <= n } }
	for _, tc := range []struct {
		name                       string
		batch, surge, old, desired int
		max                        int
		fits                       func(int, int) bool
		wantBatch, wantSurge       int
	}{
		{"default: the room under max, one batch per surge", 0, -1, 18, 50, 60, always, 10, 10},
		{"default: no more surge than old instances", 0, -1, 3, 50, 60, always, 3, 3},
		{"default: the room for the moved tasks limits the batch", 0, -1, 18, 50, 60, upTo(4), 4, 10},
		{"default: at max size, a small surge raises max", 0, -1, 18, 50, 50, always, 2, 2},
		{"default: never more than 50", 0, -1, 400, 500, 600, always, 50, 50},
		{"--batch alone: surge = batch", 3, -1, 18, 50, 60, always, 3, 3},
		{"--batch and --surge as given", 2, 4, 18, 50, 60, upTo(1), 2, 4},
		{"--surge alone: batch up to the surge", 0, 6, 18, 50, 60, always, 6, 6},
		{"--surge alone, little room", 0, 6, 18, 50, 60, upTo(2), 2, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, s := chooseRotateSize(tc.batch, tc.surge, tc.old, tc.desired, tc.max, tc.fits)
			if b != tc.wantBatch || s != tc.wantSurge {
				t.Errorf("batch %d surge %d, want %d and %d", b, s, tc.wantBatch, tc.wantSurge)
			}
		})
	}
}

// demoZones is prod-ecs of the demo world: 50 members over three zones,
// 6 old instances in each.
func demoZones() ([]*drainInstance, map[string]int) {
	var old []*drainInstance
	for i, z := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		for j := 0; j < 6; j++ {
			old = append(old, &drainInstance{EC2ID: fmt.Sprintf("i-%d%d", i, j), AZ: z})
		}
	}
	return old, map[string]int{"us-east-1a": 17, "us-east-1b": 17, "us-east-1c": 16}
}

func TestRotateOrderKeepsZonesEven(t *testing.T) {
	old, zones := demoZones()
	// Taking greedily from the fullest zones ends 18/16/16 here (the old
	// instances run out in the zone where the last surge lands), which
	// would cost a whole balancing round after the run.
	greedy := zoneSim{names: []string{"us-east-1a", "us-east-1b", "us-east-1c"}, live: map[string]int{}, old: map[string]int{}}
	for z, n := range zones {
		greedy.live[z] = n
		greedy.old[z] = 6
	}
	if sp := greedy.clone().spread(10, 10); sp < 2 {
		t.Fatalf("the greedy order ends with spread %d: the case no longer tests the search", sp)
	}
	batches := rotateOrder(old, zones, 10, 10, 0)
	if len(batches) != 2 || len(batches[0]) != 10 || len(batches[1]) != 8 {
		t.Fatalf("batches %d (%v)", len(batches), batches)
	}
	// Replay it the way Auto Scaling places the surge.
	z := greedy.clone()
	seen := map[string]bool{}
	for _, b := range batches {
		z.launch(10, 10)
		take := map[string]int{}
		for _, in := range b {
			if seen[in.EC2ID] {
				t.Fatalf("%s in two batches", in.EC2ID)
			}
			seen[in.EC2ID] = true
			take[in.AZ]++
		}
		z.step(take, 10, 10)
	}
	lo, hi := 100, 0
	for _, n := range z.live {
		lo, hi = min(lo, n), max(hi, n)
	}
	if hi-lo > 1 || len(seen) != 18 {
		t.Errorf("zones end %v (spread %d), %d instances planned", z.live, hi-lo, len(seen))
	}
	// The same state gives the same plan.
	again := rotateOrder(old, zones, 10, 10, 0)
	for i := range batches {
		for j := range batches[i] {
			if batches[i][j].EC2ID != again[i][j].EC2ID {
				t.Fatalf("two plans of one state differ at batch %d: %s vs %s", i+1, batches[i][j].EC2ID, again[i][j].EC2ID)
			}
		}
	}
}

func TestEstimateRotation(t *testing.T) {
	tm := RotateTimings{Boot: 90 * time.Second, TaskStart: 20 * time.Second, Deregistration: 300 * time.Second}
	plan := &RotatePlan{}
	for i := 0; i < 18; i++ {
		plan.Instances = append(plan.Instances, RotatePlanInstance{InstanceID: fmt.Sprint(i), Batch: 1 + i/2})
	}
	plan.Batches = 9
	estimateRotation(plan, tm, 10)
	if e := plan.Estimate; e.Seconds != 9*410 || e.BoundSeconds != 2*410 || e.BoundBatch != 10 {
		t.Errorf("batches of 2: estimate %+v, want 3690 s against a bound of 820 s", e)
	}
	// A resumed plan whose first batch is done counts the batches left.
	plan.Instances = plan.Instances[2:]
	estimateRotation(plan, tm, 10)
	if plan.Estimate.Seconds != 8*410 {
		t.Errorf("resumed: estimate %v s, want %v", plan.Estimate.Seconds, 8*410)
	}
}
