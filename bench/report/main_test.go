package main

import "testing"

func TestParseOutput(t *testing.T) {
	out := `BenchmarkRotateDemo/batch=1/surge=1-2   	       1	16580000000 ns/op	      7380 bound-s	       1.348 x-bound
machine: 2 cores, x86_64; sandbox speed 10x
aws logs tail --follow delivered: 3658 events
ecsctl logs -f (live tail) p50 latency: 2.07 s
| ecsctl-deploy | exit 0 | 40.1 s |
top_first_screen_ms: 192.0
ecsctl-crash detection latency: nan s
`
	samples, context := parseOutput(out)
	want := map[string]float64{
		"RotateDemo/batch=1/surge=1 ns/op":       16580000000,
		"RotateDemo/batch=1/surge=1 bound-s":     7380,
		"RotateDemo/batch=1/surge=1 x-bound":     1.348,
		"aws logs tail --follow delivered":       3658,
		"ecsctl logs -f (live tail) p50 latency": 2.07,
		"top_first_screen_ms":                    192,
	}
	got := map[string]float64{}
	for _, s := range samples {
		got[s.name] = s.value
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parsed %d metrics, want %d: %v", len(got), len(want), got)
	}
	if len(context) != 1 || context[0] != "machine: 2 cores, x86_64; sandbox speed 10x" {
		t.Errorf("context %q", context)
	}
}
