package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/schemas"
	smithy "github.com/aws/smithy-go"
)

// ecsRaw posts one ECS call to the sandbox as the SDK would and returns the
// JSON object it answered, as jq or the AWS CLI see it.
func ecsRaw(t *testing.T, url, op string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url+"/", bytes.NewReader(b))
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d: %s", op, resp.StatusCode, data)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

// primitiveMembers lists the members of an ECS structure whose target is a
// defaulted primitive (Integer, Long, Double, Boolean): the SDK models them as
// plain values, and ECS always sends them.
func primitiveMembers(s *smithy.Schema) []string {
	var names []string
	for name, m := range s.Members() {
		switch m.TargetID().Name {
		case "Integer", "Long", "Double", "Boolean":
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// missing lists the keys of want that obj lacks.
func missing(obj map[string]any, want []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range want {
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := obj[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// TestECSAnswersCarryTheFieldsAWSAlwaysSends checks, at the wire, that
// DescribeServices and DescribeTasks carry every field real ECS always
// sends: the fields of the response examples in the ECS API Reference
// (DescribeServices, DescribeTasks) and every defaulted primitive member the
// SDK models (pendingCount, failedTasks, enableExecuteCommand … as 0/false,
// not left out). The SDK's own serializers skip zero values, so without the
// sandbox's help a jq user would read null where AWS says 0.
func TestECSAnswersCarryTheFieldsAWSAlwaysSends(t *testing.T) {
	w, _ := BuiltinWorld("small")
	s := New(Options{ManualClock: true, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	defer srv.Close()

	out := ecsRaw(t, srv.URL, "DescribeServices", map[string]any{"cluster": "small", "services": []string{"api"}})
	svcs, _ := out["services"].([]any)
	if len(svcs) != 1 {
		t.Fatalf("DescribeServices: %d services", len(svcs))
	}
	svc := svcs[0].(map[string]any)
	documented := []string{"clusterArn", "createdAt", "deploymentConfiguration", "deployments", "desiredCount",
		"events", "launchType", "loadBalancers", "pendingCount", "runningCount", "serviceArn", "serviceName",
		"status", "taskDefinition", "schedulingStrategy", "deploymentController", "enableECSManagedTags",
		"enableExecuteCommand", "propagateTags", "placementConstraints", "placementStrategy", "createdBy"}
	var problems []string
	for _, k := range missing(svc, append(documented, primitiveMembers(schemas.Service)...)) {
		problems = append(problems, "service."+k)
	}
	deps, _ := svc["deployments"].([]any)
	if len(deps) == 0 {
		t.Fatal("DescribeServices: no deployments")
	}
	dep := deps[0].(map[string]any)
	for _, k := range missing(dep, append([]string{"id", "status", "taskDefinition", "desiredCount", "pendingCount",
		"runningCount", "failedTasks", "createdAt", "updatedAt", "launchType", "rolloutState", "rolloutStateReason"},
		primitiveMembers(schemas.Deployment)...)) {
		problems = append(problems, "deployment."+k)
	}
	if v, ok := svc["pendingCount"].(float64); !ok || v != 0 {
		problems = append(problems, "service.pendingCount is not the number 0 on a steady service")
	}

	list := ecsRaw(t, srv.URL, "ListTasks", map[string]any{"cluster": "small", "serviceName": "api"})
	arns, _ := list["taskArns"].([]any)
	if len(arns) == 0 {
		t.Fatal("ListTasks: no tasks")
	}
	out = ecsRaw(t, srv.URL, "DescribeTasks", map[string]any{"cluster": "small", "tasks": arns[:1]})
	tasks, _ := out["tasks"].([]any)
	if len(tasks) != 1 {
		t.Fatalf("DescribeTasks: %d tasks", len(tasks))
	}
	task := tasks[0].(map[string]any)
	for _, k := range missing(task, append([]string{"taskArn", "clusterArn", "taskDefinitionArn", "containerInstanceArn",
		"containers", "cpu", "memory", "createdAt", "startedAt", "desiredStatus", "lastStatus", "group", "launchType",
		"overrides", "version", "availabilityZone", "connectivity", "connectivityAt", "pullStartedAt", "pullStoppedAt"},
		primitiveMembers(schemas.Task)...)) {
		problems = append(problems, "task."+k)
	}
	containers, _ := task["containers"].([]any)
	if len(containers) == 0 {
		t.Fatal("DescribeTasks: a task without containers")
	}
	c := containers[0].(map[string]any)
	for _, k := range missing(c, append([]string{"containerArn", "taskArn", "name", "image", "lastStatus", "networkBindings"},
		primitiveMembers(schemas.Container)...)) {
		problems = append(problems, "task.containers[0]."+k)
	}
	if len(problems) > 0 {
		t.Errorf("fields real ECS always sends are missing at the wire:\n\t%s", strings.Join(problems, "\n\t"))
	}
}
