package sim

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestSnapshotKeepsItsShape pins where each service's state sits in a saved
// account: the state files written before the state was split per service
// (Auto Scaling inside "ec2", target groups inside "ecs", ECR, SSM,
// CloudWatch and Application Auto Scaling inside "logs") must still load,
// and files written now must load in the version before.
func TestSnapshotKeepsItsShape(t *testing.T) {
	w, err := BuiltinWorld("demo")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{ManualClock: true, Seed: 7})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(2 * time.Minute)
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	doc := snapshotObjects(t, buf.Bytes())
	for obj, keys := range map[string][]string{
		"ec2":  {"azs", "instances", "launchTemplates", "groups"},
		"ecs":  {"clusters", "tasks", "targetGroups", "loadBalancers"},
		"logs": {"groups", "ecr", "ssm", "cw", "aas"},
	} {
		for _, k := range keys {
			if v := doc[obj][k]; len(v) < 3 { // more than {}, [] or null
				t.Errorf("snapshot %q.%q = %s, want the saved state", obj, k, v)
			}
		}
	}

	s2, err := Load(bytes.NewReader(buf.Bytes()), Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := s2.Save(&again); err != nil {
		t.Fatal(err)
	}
	doc2 := snapshotObjects(t, again.Bytes())
	for _, obj := range []string{"ec2", "ecs", "logs"} {
		if len(doc2[obj]) != len(doc[obj]) {
			t.Errorf("%q has %d keys after a load and save, %d before", obj, len(doc2[obj]), len(doc[obj]))
		}
		for k, v := range doc[obj] {
			if !bytes.Equal(doc2[obj][k], v) {
				t.Errorf("%q.%q changed across a load and save", obj, k)
			}
		}
	}
}

// snapshotObjects is the saved state's "ec2", "ecs" and "logs" objects.
func snapshotObjects(t *testing.T, b []byte) map[string]map[string]json.RawMessage {
	t.Helper()
	var doc struct {
		EC2  map[string]json.RawMessage `json:"ec2"`
		ECS  map[string]json.RawMessage `json:"ecs"`
		Logs map[string]json.RawMessage `json:"logs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return map[string]map[string]json.RawMessage{"ec2": doc.EC2, "ecs": doc.ECS, "logs": doc.Logs}
}
