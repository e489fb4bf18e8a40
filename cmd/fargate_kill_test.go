package cmd

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// killFargateDeployCases: a deploy of a Fargate service and of a capacity
// provider strategy service, killed mid-rollout (new Fargate tasks
// provisioning or running while the old deployment drains) and run again:
// the re-run finishes the same deploy, registers nothing more, and every
// task ends on Fargate with the new revision.
func killFargateDeployCases(t *testing.T) {
	for _, tc := range []struct {
		service   string
		providers map[string]int
	}{
		{"fargate-api", nil},
		{"spot-worker", map[string]int{"FARGATE": 1, "FARGATE_SPOT": 3}},
	} {
		t.Run(tc.service+" mid-rollout", func(t *testing.T) {
			w, err := sim.BuiltinWorld("edge")
			if err != nil {
				t.Fatal(err)
			}
			edgeFargateOnly(w)
			// New Fargate tasks take 5 minutes of account time to start
			// (the default 20 s is 33 ms of wall time at the test speed):
			// the kill point, two deployments with the new one primary,
			// then lasts long enough for a poll to see it on a loaded
			// machine, where the whole rollout used to fall between two
			// polls and the kill never fired.
			w.Timings = &sim.Timings{TaskStart: sim.Duration(5 * time.Minute)}
			sb := startSandboxWorld(t, w, "")
			gate := killServe(t, sb)
			before := sb.waitSteady(sim.EdgeCluster, tc.service)
			oldTD := aws.ToString(before.TaskDefinition)
			sb.sim.ResetReport()
			sb.sim.ResetRequests()
			args := []string{"deploy", "-c", sim.EdgeCluster, "--service", tc.service, "--tag", sim.DemoNextTag, "--poll-interval", "20ms", "-o", "json"}

			gate.arm(syscall.SIGKILL, killWhen("ecs.DescribeServices", killServiceWhen(tc.service, func(primary string, _, deps int) bool {
				return primary != oldTD && deps == 2
			})))
			code, _, stderr := gate.run(t, killLimit, args...)
			if gate.firedOn() == "" || code != -int(syscall.SIGKILL) {
				t.Fatalf("the kill point was never reached (exit %d)\n%s", code, stderr)
			}
			gate.arm(0, nil)
			code, stdout, stderr := gate.run(t, killLimit, args...)
			if code != ExitOK {
				t.Fatalf("re-run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			var res deploy.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Services) != 1 {
				t.Fatalf("re-run result: %v\n%s", err, stdout)
			}
			if r := res.Services[0]; !killOneOf(r.Outcome, killDone) {
				t.Errorf("re-run outcome %s (%s), want %v", r.Outcome, r.Reason, killDone)
			}
			after := sb.waitSteady(sim.EdgeCluster, tc.service)
			newTD := aws.ToString(after.TaskDefinition)
			td, _ := sb.taskDef(newTD)
			if newTD == oldTD || !strings.HasSuffix(aws.ToString(td.ContainerDefinitions[0].Image), ":"+sim.DemoNextTag) {
				t.Errorf("service runs %s (%s), want tag %s", newTD, aws.ToString(td.ContainerDefinitions[0].Image), sim.DemoNextTag)
			}
			if n := killCount(sb, "ecs.RegisterTaskDefinition"); n != 1 {
				t.Errorf("%d revisions registered for one deploy, want 1", n)
			}
			simtest.CheckOnFargate(t, sb.tasksOf(sim.EdgeCluster, tc.service), newTD, tc.providers)
			killCheckReport(t, sb)
		})
	}
}
