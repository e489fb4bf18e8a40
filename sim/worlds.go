package sim

import (
	"fmt"
	"sort"
	"strings"
)

// Built-in worlds. They are generated into the same World structure a user
// writes as JSON (`ecsctl sandbox world demo` prints one to start from).

// Well-known names in the built-in worlds (tests and the README use them).
const (
	DemoOldAMI          = "ami-0a1b2c3d4e5f60001"
	DemoNewAMI          = "ami-0a1b2c3d4e5f60002"
	RecommendedAMIParam = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
	// DemoAPITag is the tag the demo's api service runs; DemoNextTag is
	// pushed but not deployed (the README's first command deploys it);
	// DemoCrashTag is pushed and crashes on start.
	DemoAPITag   = "4f1c2a9"
	DemoNextTag  = "7d3e9b1"
	DemoCrashTag = "crash-5b8e0f2"
)

// WorldNames lists the built-in worlds.
func WorldNames() []string { return []string{"small", "demo", "large", "edge"} }

// BuiltinWorld returns a built-in world by name.
func BuiltinWorld(name string) (*World, error) {
	switch name {
	case "small":
		return smallWorld(), nil
	case "demo":
		return demoWorld(), nil
	case "large":
		return largeWorld(), nil
	case "edge":
		return edgeWorld(), nil
	}
	return nil, fmt.Errorf("unknown world %q: want %s or a JSON file", name, strings.Join(WorldNames(), ", "))
}

func ptrInt(v int) *int    { return &v }
func ptrBool(v bool) *bool { return &v }

func amis() []AMISpec {
	return []AMISpec{
		{ID: DemoOldAMI, Name: "al2023-ami-ecs-hvm-2023.0.20250910-kernel-6.1-x86_64", CreationDate: "2025-09-10T18:00:00Z", Description: "Amazon Linux AMI 2023.0.20250910 x86_64 ECS HVM EBS"},
		{ID: DemoNewAMI, Name: "al2023-ami-ecs-hvm-2023.0.20251105-kernel-6.1-x86_64", CreationDate: "2025-11-05T18:00:00Z", Description: "Amazon Linux AMI 2023.0.20251105 x86_64 ECS HVM EBS"},
	}
}

func ssmParams() map[string]string {
	return map[string]string{
		RecommendedAMIParam: DemoNewAMI,
		"/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended": `{"ecs_agent_version":"1.99.0","ecs_runtime_version":"Docker version 25.0.8","image_id":"` + DemoNewAMI + `","image_name":"al2023-ami-ecs-hvm-2023.0.20251105-kernel-6.1-x86_64","image_version":"2023.0.20251105","os":"Amazon Linux 2023","schema_version":1,"source_image_name":"al2023-ami-minimal-2023.6.20251105.0-kernel-6.1-x86_64"}`,
	}
}

// ecsLaunchTemplate has version 1 on the old AMI and version 2 on the new.
func ecsLaunchTemplate(name, cluster, instanceType string) LaunchTemplateSpec {
	return LaunchTemplateSpec{
		Name:           name,
		DefaultVersion: 1,
		Versions: []LaunchTemplateVersionSpec{
			{ImageID: DemoOldAMI, InstanceType: instanceType, Cluster: cluster, Description: "ECS AL2023 2025-09"},
			{ImageID: DemoNewAMI, InstanceType: instanceType, Cluster: cluster, Description: "ECS AL2023 2025-11"},
		},
	}
}

// appService is a typical web service: the app container, an envoy sidecar
// (not from this account's ECR), awslogs for both.
func appService(name string, desired, cpu, mem int, tag string, lb bool) ServiceSpec {
	return ServiceSpec{
		Name:                  name,
		Revision:              3,
		Desired:               desired,
		MinimumHealthyPercent: ptrInt(100),
		MaximumPercent:        ptrInt(200),
		CircuitBreaker:        &CircuitBreakerSpec{Enable: true, Rollback: true},
		CPU:                   cpu,
		Memory:                mem,
		LoadBalanced:          lb,
		ExecutionRoleArn:      "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
		TaskRoleArn:           "arn:aws:iam::123456789012:role/" + name + "-task",
		Containers: []ContainerSpec{
			{Name: "app", Image: name + ":" + tag, CPU: cpu - 64, Memory: mem - 64, Ports: []int{8080},
				Environment: map[string]string{"PORT": "8080", "LOG_LEVEL": "info", "SERVICE_NAME": name}},
			{Name: "envoy", Image: "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.0-prod", Essential: ptrBool(false), CPU: 64, Memory: 64},
		},
		Tags: map[string]string{"team": teamFor(name), "env": "prod"},
	}
}

func teamFor(name string) string {
	teams := []string{"payments", "platform", "growth", "search", "identity"}
	h := 0
	for _, c := range name {
		h = h*31 + int(c)
	}
	if h < 0 {
		h = -h
	}
	return teams[h%len(teams)]
}

// serviceNames gives n distinct, realistic service names.
func serviceNames(n int, reserved map[string]bool) []string {
	nouns := []string{"orders", "payments", "checkout", "catalog", "search", "users", "auth", "billing", "invoices",
		"shipping", "inventory", "pricing", "cart", "reviews", "recommendations", "notifications", "email", "sms",
		"webhooks", "ledger", "fraud", "reports", "exports", "imports", "media", "thumbnails", "geo", "tax",
		"coupons", "loyalty", "subscriptions", "sessions", "profiles", "audit", "feature-flags", "scheduler",
		"gateway", "graphql", "admin", "partners"}
	kinds := []string{"api", "worker", "consumer", "cron", "grpc", "sync"}
	var out []string
	for i := 0; len(out) < n; i++ {
		name := nouns[i%len(nouns)] + "-" + kinds[(i/len(nouns))%len(kinds)]
		if i >= len(nouns)*len(kinds) {
			name = fmt.Sprintf("%s-%d", name, i/(len(nouns)*len(kinds)))
		}
		if !reserved[name] {
			out = append(out, name)
		}
	}
	return out
}

// repositories lists one ECR repository per service whose app image is in
// this account's registry, with its current tag, the next one and a
// crashing one pushed.
func repositories(clusters []ClusterSpec) []RepositorySpec {
	tags := map[string]map[string]bool{}
	for _, c := range clusters {
		for _, s := range c.Services {
			for _, ct := range s.Containers {
				if strings.Contains(ct.Image, "/") {
					continue
				}
				repo, tag, _ := strings.Cut(ct.Image, ":")
				if tags[repo] == nil {
					tags[repo] = map[string]bool{}
				}
				tags[repo][tag] = true
				tags[repo][DemoNextTag] = true
				tags[repo][DemoCrashTag] = true
				tags[repo]["unhealthy-2c7d1e4"] = true
			}
		}
	}
	var repos []RepositorySpec
	for repo, ts := range tags {
		r := RepositorySpec{Name: repo, Immutable: repo != "legacy-web"}
		for t := range ts {
			r.Tags = append(r.Tags, t)
		}
		sort.Strings(r.Tags)
		repos = append(repos, r)
	}
	sort.Slice(repos, func(i, j int) bool { return repos[i].Name < repos[j].Name })
	return repos
}

// smallWorld: one cluster of three instances and a few services — quick
// to load, for tests.
func smallWorld() *World {
	api := appService("api", 3, 512, 1024, DemoAPITag, true)
	api.Revision = 5
	api.Containers[0].Secrets = map[string]string{"DB_PASSWORD": "arn:aws:ssm:us-east-1:123456789012:parameter/small/api/db-password"}
	api.Containers[0].Environment["API_TOKEN"] = "tok-sandbox-0000"
	api.Autoscaling = &ServiceAutoscalingSpec{Min: 2, Max: 10}
	worker := appService("worker", 2, 256, 512, DemoAPITag, false)
	worker.CircuitBreaker = nil
	worker.Containers = worker.Containers[:1]
	worker.Containers[0].Ports = nil
	// Secrets as teams really keep them: literal values in env vars with
	// secret-looking names, and a password inside a URL. ecsctl must never
	// print them (cmd/reliability_secrets_test.go).
	worker.Containers[0].Environment["DB_PASSWORD"] = "pw-small-worker-9f3a71c2"
	worker.Containers[0].Environment["DATABASE_URL"] = "postgres://worker:pw-url-3e8d1f60@small-db:5432/app"
	web := appService("web", 2, 256, 512, DemoAPITag, true)
	web.MinimumHealthyPercent = ptrInt(50)
	web.Containers[0].Environment["STRIPE_SECRET_KEY"] = "sk_live_small_web_51Hq8e0c"
	web.Containers[0].Secrets = map[string]string{"SESSION_SECRET": "arn:aws:secretsmanager:us-east-1:123456789012:secret:small/web/session-Ab12Cd"}
	clusters := []ClusterSpec{{
		Name:     "small",
		Services: []ServiceSpec{api, worker, web},
		Tasks: []StandaloneTaskSpec{{Family: "db-migrate", Count: 1, CPU: 256, Memory: 256,
			Containers: []ContainerSpec{{Name: "migrate", Image: "api:" + DemoAPITag}}}},
	}}
	return &World{
		Name:            "small",
		AMIs:            amis(),
		SSMParameters:   ssmParams(),
		LaunchTemplates: []LaunchTemplateSpec{ecsLaunchTemplate("small-ecs", "small", "m5.large")},
		AutoScalingGroups: []ASGSpec{{
			Name: "small-ecs", LaunchTemplate: "small-ecs", Version: "$Latest",
			Min: 3, Max: 6, Desired: 3,
			Instances: []InstanceGroupSpec{
				{Count: 2, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 40},
				{Count: 1, AMI: DemoNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 2},
			},
		}},
		Clusters:     clusters,
		Repositories: repositories(clusters),
	}
}

// demoWorld is shaped like a real company: prod (about 90 services on 50
// instances in 3 AZs, behind the ASG prod-ecs) and staging.
func demoWorld() *World {
	api := appService("api", 4, 1024, 2048, DemoAPITag, true)
	api.Revision = 42
	api.Containers[0].Secrets = map[string]string{"DB_PASSWORD": "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/db-password"}
	api.Containers[0].Environment["API_TOKEN"] = "tok-demo-0000"
	api.Containers[0].Environment["DATABASE_HOST"] = "prod-db.cluster-abc.us-east-1.rds.amazonaws.com"
	api.Containers[0].Secrets["API_KEY"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api/key-Ef34Gh"
	api.Autoscaling = &ServiceAutoscalingSpec{Min: 4, Max: 20}
	services := []ServiceSpec{api}
	// A daemon on every instance, a service kept on distinct instances, one
	// pinned to two AZs, a legacy one without the circuit breaker.
	exporter := ServiceSpec{Name: "node-exporter", Daemon: true, Revision: 7, CPU: 64, Memory: 64,
		Containers: []ContainerSpec{{Name: "node-exporter", Image: "quay.io/prometheus/node-exporter:v1.8.2", Ports: []int{9100}}}}
	zk := appService("zookeeper", 3, 512, 1024, DemoAPITag, false)
	zk.PlacementConstraints = []PlacementConstraintSpec{{Type: "distinctInstance"}}
	zk.MinimumHealthyPercent, zk.MaximumPercent = ptrInt(66), ptrInt(100)
	zk.Containers = zk.Containers[:1]
	geo := appService("geo-api", 2, 512, 1024, DemoAPITag, true)
	geo.PlacementConstraints = []PlacementConstraintSpec{{Type: "memberOf", Expression: "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"}}
	legacy := appService("legacy-web", 2, 512, 1024, DemoAPITag, true)
	legacy.CircuitBreaker = nil
	legacy.MinimumHealthyPercent = ptrInt(50)
	// The legacy app still carries its own AWS keys and a password in env.
	legacy.Containers[0].Environment["DB_PASSWORD"] = "pw-demo-legacy-4c2e91b7"
	legacy.Containers[0].Environment["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYdemoLEGACY"
	services = append(services, exporter, zk, geo, legacy)
	reserved := map[string]bool{"api": true, "zookeeper": true, "geo-api": true, "legacy-web": true}
	sizes := [][2]int{{256, 512}, {512, 1024}, {256, 1024}, {1024, 2048}, {512, 2048}}
	for i, name := range serviceNames(85, reserved) {
		sz := sizes[i%len(sizes)]
		desired := 1 + (i*7)%5
		s := appService(name, desired, sz[0], sz[1], DemoAPITag, strings.HasSuffix(name, "-api") || strings.HasSuffix(name, "-grpc"))
		s.Revision = 1 + (i*13)%30
		if strings.HasSuffix(name, "-worker") || strings.HasSuffix(name, "-consumer") || strings.HasSuffix(name, "-cron") {
			s.Containers = s.Containers[:1]
			s.Containers[0].Ports = nil
			s.MinimumHealthyPercent = ptrInt(50)
		}
		services = append(services, s)
	}
	prod := ClusterSpec{
		Name:     "prod",
		Tags:     map[string]string{"env": "prod"},
		Services: services,
		Tasks: []StandaloneTaskSpec{
			{Family: "nightly-report", Count: 2, CPU: 512, Memory: 1024, Containers: []ContainerSpec{{Name: "report", Image: "reports-cron:" + DemoAPITag}}},
		},
	}
	var stagingServices []ServiceSpec
	for i, name := range []string{"api", "web", "orders-api", "payments-api", "search-api", "users-api", "orders-worker", "email-worker", "admin-api", "gateway-api"} {
		s := appService(name, 1+i%2, 256, 512, DemoNextTag, strings.HasSuffix(name, "api") || name == "web")
		s.Tags["env"] = "staging"
		s.Family = "staging-" + name // its own family, as teams keep them per environment
		stagingServices = append(stagingServices, s)
	}
	staging := ClusterSpec{Name: "staging", Tags: map[string]string{"env": "staging"}, Services: stagingServices}
	clusters := []ClusterSpec{prod, staging}
	return &World{
		Name:          "demo",
		AMIs:          amis(),
		SSMParameters: ssmParams(),
		LaunchTemplates: []LaunchTemplateSpec{
			ecsLaunchTemplate("prod-ecs", "prod", "m5.xlarge"),
			ecsLaunchTemplate("staging-ecs", "staging", "m5.large"),
		},
		AutoScalingGroups: []ASGSpec{
			{
				Name: "prod-ecs", LaunchTemplate: "prod-ecs", Version: "$Latest",
				Min: 45, Max: 60, Desired: 50,
				Tags: map[string]string{"env": "prod", "team": "platform"},
				Instances: []InstanceGroupSpec{
					{Count: 18, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 60},
					{Count: 32, AMI: DemoNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 10},
				},
				LifecycleHooks: []string{"prod-ecs-drain-hook"},
			},
			{
				Name: "staging-ecs", LaunchTemplate: "staging-ecs", Version: "$Latest",
				Min: 3, Max: 8, Desired: 4,
				Tags:      map[string]string{"env": "staging", "team": "platform"},
				Instances: []InstanceGroupSpec{{Count: 4, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 30}},
			},
		},
		Clusters:     clusters,
		Repositories: repositories(clusters),
		Schedules:    demoSchedules(),
		Rules: []RuleSpec{
			{Name: "weekly-digest", Expression: "cron(0 6 ? * MON *)", Cluster: "prod", TaskDefinition: "nightly-report:1"},
		},
	}
}

// demoSchedules are prod's scheduled tasks: one healthy, one failing every
// night (its task definition revision does not exist), one pinned to an old
// revision of the api service's family.
func demoSchedules() []ScheduleSpec {
	return []ScheduleSpec{
		{Name: "nightly-report", Expression: "cron(0 2 * * ? *)", Timezone: "Europe/Berlin", Cluster: "prod", TaskDefinition: "nightly-report:1", AgeHours: 24 * 30},
		{Name: "nightly-invoice-export", Expression: "cron(30 3 * * ? *)", Cluster: "prod", TaskDefinition: "nightly-report:4", FlexibleWindowMinutes: 15, AgeHours: 24 * 30, PastFailures: 3},
		{Name: "api-cache-warm", Expression: "rate(6 hours)", Cluster: "prod", TaskDefinition: "api:40", AgeHours: 24 * 20},
	}
}

// largeWorld is for performance work: about 1,000 services on 500 instances.
func largeWorld() *World {
	reserved := map[string]bool{}
	var services []ServiceSpec
	sizes := [][2]int{{256, 512}, {512, 1024}, {256, 1024}, {1024, 2048}}
	for i, name := range serviceNames(1000, reserved) {
		sz := sizes[i%len(sizes)]
		s := appService(name, 1+(i*7)%5, sz[0], sz[1], DemoAPITag, i%3 == 0)
		s.Revision = 1 + (i*13)%30
		if i%2 == 1 {
			s.Containers = s.Containers[:1]
		}
		services = append(services, s)
	}
	clusters := []ClusterSpec{{Name: "large", Services: services}}
	return &World{
		Name:            "large",
		AMIs:            amis(),
		SSMParameters:   ssmParams(),
		LaunchTemplates: []LaunchTemplateSpec{ecsLaunchTemplate("large-ecs", "large", "m5.2xlarge")},
		AutoScalingGroups: []ASGSpec{{
			Name: "large-ecs", LaunchTemplate: "large-ecs", Version: "$Latest",
			Min: 450, Max: 600, Desired: 500,
			Instances: []InstanceGroupSpec{
				{Count: 200, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 60},
				{Count: 300, AMI: DemoNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 10},
			},
		}},
		Clusters:     clusters,
		Repositories: repositories(clusters),
		Logs:         &LogsSpec{LinesPerMinute: 2},
	}
}
