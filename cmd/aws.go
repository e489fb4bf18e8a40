package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/render"
)

// clients are the SDK clients a command may use, all built from one
// aws.Config. ops/ takes them through narrow interfaces.
type clients struct {
	cfg     aws.Config
	ECS     *ecs.Client
	EC2     ec2Client
	ASG     *autoscaling.Client
	ELB     *elasticloadbalancingv2.Client
	CW      *cloudwatch.Client
	Logs    *cloudwatchlogs.Client
	ECR     *ecr.Client
	SSM     *ssm.Client
	AppAuto *applicationautoscaling.Client
	// Clock is AWS's "now", learned from the responses' Date headers.
	Clock *serverClock
	// pinnedClock, when a test pinned one for this run (withOverviewClock),
	// is the overviews' "now".
	pinnedClock ops.Clock
	// Scheduler and Events are EventBridge Scheduler and EventBridge
	// (ecsctl cron).
	Scheduler *scheduler.Client
	Events    *eventbridge.Client
}

// awsClients loads the AWS configuration the SDK way (environment, shared
// config and credentials files, profiles, SSO, IMDS; AWS_ENDPOINT_URL is read
// by the SDK itself) and builds the clients. With --sandbox it points them at
// the sandbox with dummy credentials.
func (a *app) awsClients(c *cli.Context) (*clients, error) {
	ctx := c.Context
	var opts []func(*config.LoadOptions) error
	opts = append(opts, config.WithRetryer(retryer(sandboxSpeed(a.io.Getenv))))
	if r := flagString(c, "region"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if p := flagString(c, "profile"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if flagBool(c, "sandbox") {
		endpoint, err := a.startSandbox(c)
		if err != nil {
			return nil, err
		}
		opts = append(opts,
			config.WithBaseEndpoint(endpoint),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("sandbox", "sandbox", "")),
		)
		if flagString(c, "region") == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
	}
	// The SDK's own log lines (e.g. "WARN falling back to IMDSv1" when no
	// credentials are configured) go through ecsctl: shown with --debug,
	// never mixed into a command's error output otherwise.
	opts = append(opts, config.WithLogger(sdkLogger(a.io, flagBool(c, "debug"))))
	clock := &serverClock{}
	opts = append(opts, config.WithAPIOptions([]func(*middleware.Stack) error{clock.middleware}))
	if flagBool(c, "debug") {
		opts = append(opts, config.WithAPIOptions([]func(*middleware.Stack) error{debugMiddleware(a.io)}))
	}
	opts = append(opts, extraAWSOptions(ctx)...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &awsSetupError{msg: fmt.Sprintf("load AWS configuration: %v (check --profile/AWS_PROFILE and ~/.aws/config)", err)}
	}
	if cfg.HTTPClient == nil { // the SDK leaves it nil unless AWS_CA_BUNDLE or an option set one
		cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	cfg.HTTPClient = bodyGuardClient{cfg.HTTPClient}
	if cfg.AppID == "" {
		// "app/ecsctl" in the User-Agent: CloudTrail shows which calls
		// ecsctl made (AWS_SDK_UA_APP_ID or sdk_ua_app_id win).
		cfg.AppID = "ecsctl"
	}
	if cfg.Region == "" {
		return nil, &awsSetupError{msg: "no AWS region: set --region or AWS_REGION (or region in your AWS profile)"}
	}
	if !regionRE.MatchString(cfg.Region) {
		return nil, usagef("invalid AWS region %q: want a region name like us-east-1 (from --region, AWS_REGION or your AWS profile)", cfg.Region)
	}
	if !flagBool(c, "sandbox") {
		if err := checkCredentials(ctx, cfg); err != nil {
			return nil, err
		}
	}
	cl := newClients(cfg)
	cl.Clock = clock
	cl.pinnedClock, _ = ctx.Value(overviewClockKey{}).(ops.Clock)
	return cl, nil
}

// awsOptionsKey carries configuration options that come after ecsctl's own
// when a run loads its AWS configuration: in-process tests give each run its
// own sandbox endpoint and credentials this way, so tests that run in
// parallel never share the process environment.
type awsOptionsKey struct{}

func withAWSOptions(ctx context.Context, opts ...func(*config.LoadOptions) error) context.Context {
	return context.WithValue(ctx, awsOptionsKey{}, opts)
}

func extraAWSOptions(ctx context.Context) []func(*config.LoadOptions) error {
	opts, _ := ctx.Value(awsOptionsKey{}).([]func(*config.LoadOptions) error)
	return opts
}

// regionRE is the shape of every AWS region name (us-east-1, us-gov-west-1).
var regionRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func newClients(cfg aws.Config) *clients {
	return &clients{
		cfg:     cfg,
		ECS:     ecs.NewFromConfig(cfg),
		EC2:     newEC2Client(ec2.NewFromConfig(cfg)),
		ASG:     autoscaling.NewFromConfig(cfg),
		ELB:     elasticloadbalancingv2.NewFromConfig(cfg),
		CW:      cloudwatch.NewFromConfig(cfg),
		Logs:    cloudwatchlogs.NewFromConfig(cfg),
		ECR:     ecr.NewFromConfig(cfg),
		SSM:     ssm.NewFromConfig(cfg),
		AppAuto: applicationautoscaling.NewFromConfig(cfg),

		Scheduler: scheduler.NewFromConfig(cfg),
		Events:    eventbridge.NewFromConfig(cfg),
	}
}

// bodyGuardClient hides the request body's WriteTo from net/http. The SDK's
// request body answers WriteTo with io.EOF once the SDK has closed it, which
// it does as soon as response headers arrive; when a server answers before
// net/http's write loop has finished with the body (a fast endpoint on
// loopback, or a quick error), net/http takes that for a write error and
// closes the connection while the response is still being read ("use of
// closed network connection"), turning a good answer into a retried call.
type bodyGuardClient struct{ inner aws.HTTPClient }

type readOnlyBody struct{ io.ReadCloser }

func (c bodyGuardClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = readOnlyBody{req.Body}
	}
	return c.inner.Do(req)
}

// checkCredentials resolves credentials once up front so that a missing
// setup is one clear line instead of a failure deep inside an operation.
func checkCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return &awsSetupError{msg: "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run 'aws sso login'"}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return &awsSetupError{msg: "no usable AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run 'aws sso login' (" + oneLine(err.Error()) + ")"}
	}
	return nil
}

// debugMiddleware logs every AWS call (service, operation, duration, and
// the error code if any) to stderr. It logs no parameters, so no secrets.
func debugMiddleware(ios *render.IO) func(*middleware.Stack) error {
	var mu sync.Mutex // the overviews call AWS from several goroutines
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("ecsctlDebug",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				start := time.Now()
				out, md, err := next.HandleInitialize(ctx, in)
				status := "ok"
				if err != nil {
					status = "error: " + oneLine(err.Error())
				}
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(ios.Err, "debug: %s %s.%s %s %s\n", time.Now().UTC().Format(time.RFC3339),
					middleware.GetServiceID(ctx), middleware.GetOperationName(ctx),
					time.Since(start).Round(time.Millisecond), status)
				return out, md, err
			}), middleware.Before)
	}
}

// sdkLogger is the SDK's logger: with --debug its lines go to stderr as
// "debug: aws sdk WARN …", without it they are dropped.
func sdkLogger(ios *render.IO, debug bool) logging.Logger {
	var mu sync.Mutex
	return logging.LoggerFunc(func(class logging.Classification, format string, v ...any) {
		if !debug {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(ios.Err, "debug: aws sdk %s %s\n", class, oneLine(fmt.Sprintf(format, v...)))
	})
}
