package sim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestBuiltinWorldsRoundTripThroughJSON(t *testing.T) {
	for _, name := range WorldNames() {
		w, err := BuiltinWorld(name)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseWorld(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(w, back) {
			t.Errorf("%s: world changed through JSON", name)
		}
	}
}

func TestBuiltinWorldShapes(t *testing.T) {
	demo, _ := BuiltinWorld("demo")
	services, instances := 0, 0
	for _, c := range demo.Clusters {
		if c.Name == "prod" {
			services = len(c.Services)
		}
	}
	for _, g := range demo.AutoScalingGroups {
		if g.Name == "prod-ecs" {
			for _, ig := range g.Instances {
				instances += ig.Count
			}
			if instances != g.Desired {
				t.Errorf("prod-ecs: %d instances listed, desired %d", instances, g.Desired)
			}
		}
	}
	if services < 85 || services > 95 || instances != 50 {
		t.Errorf("demo prod: %d services on %d instances, want about 90 on 50", services, instances)
	}
	if demo.SSMParameters[RecommendedAMIParam] != DemoNewAMI {
		t.Errorf("recommended AMI parameter = %q", demo.SSMParameters[RecommendedAMIParam])
	}
	large, _ := BuiltinWorld("large")
	if n := len(large.Clusters[0].Services); n != 1000 {
		t.Errorf("large: %d services", n)
	}
	if _, err := BuiltinWorld("huge"); err == nil || !strings.Contains(err.Error(), "small, demo, large") {
		t.Errorf("unknown world error = %v", err)
	}
}

func TestParseWorldNamesTheBadField(t *testing.T) {
	cases := map[string]string{
		`{"clusters":[{"name":"x","services":[{"name":"a","desired":"three"}]}]}`: "desired",
		`{"autoScalingGroups":[{"name":"g","min":"1"}]}`:                          "min",
		`{"clusterz":[]}`:                  "clusterz",
		`{"timings":{"taskStart":"soon"}}`: "soon",
	}
	for in, want := range cases {
		_, err := ParseWorld([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseWorld(%s) error = %v, want it to name %q", in, err, want)
		}
	}
}
