package overview

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// overviewMaxQueries is GetMetricData's limit of queries per call.
const overviewMaxQueries = 500

type overviewMetricQuery struct {
	key     string // what the value is for (cluster or service name)
	metric  string // CPUUtilization, MemoryUtilization
	cluster string
	service string // "" for the cluster-wide metric
}

type overviewMetricKey struct{ key, metric string }

// metrics reads the newest datapoint of each query over the metric window,
// 500 queries per GetMetricData call, following every page. A query with
// no datapoint maps to nil (ECS publishes nothing for a service with no
// running task).
func (o *Reader) metrics(ctx context.Context, qs []overviewMetricQuery) (map[overviewMetricKey]*float64, error) {
	window := o.MetricWindow
	if window <= 0 {
		window = 5 * time.Minute
	}
	end := o.now().Truncate(time.Minute).Add(time.Minute)
	start := end.Add(-window - time.Minute)
	vals := map[overviewMetricKey]*float64{}
	for lo := 0; lo < len(qs); lo += overviewMaxQueries {
		batch := qs[lo:min(len(qs), lo+overviewMaxQueries)]
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: cwtypes.ScanByTimestampDescending}
		for i, q := range batch {
			dims := []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String(q.cluster)}}
			if q.service != "" {
				dims = append(dims, cwtypes.Dimension{Name: aws.String("ServiceName"), Value: aws.String(q.service)})
			}
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("m%d", i)),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ECS"), MetricName: aws.String(q.metric), Dimensions: dims},
					Period: aws.Int32(60), Stat: aws.String("Average"),
				},
			})
		}
		newest := map[string]time.Time{}
		p := cloudwatch.NewGetMetricDataPaginator(o.CW, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("get ECS utilization metrics of %s: %w", batch[0].cluster, err)
			}
			for _, r := range page.MetricDataResults {
				var idx int
				if _, err := fmt.Sscanf(aws.ToString(r.Id), "m%d", &idx); err != nil || idx >= len(batch) {
					continue
				}
				q := batch[idx]
				k := overviewMetricKey{q.key, q.metric}
				for j := range r.Values {
					if j >= len(r.Timestamps) {
						break
					}
					if t := r.Timestamps[j]; newest[aws.ToString(r.Id)].IsZero() || t.After(newest[aws.ToString(r.Id)]) {
						newest[aws.ToString(r.Id)] = t
						v := r.Values[j]
						vals[k] = &v
					}
				}
			}
		}
	}
	return vals, nil
}

// optionalMetrics is metrics for the overviews, where utilization is an
// extra: when GetMetricData is denied (cloudwatch:GetMetricData is often
// left out of read-only policies) or fails past its retries, the values
// are unknown (shown as "-") and MetricsNote hears why, once. Only an
// interrupted read is an error.
func (o *Reader) optionalMetrics(ctx context.Context, qs []overviewMetricQuery) (map[overviewMetricKey]*float64, error) {
	vals, err := o.metrics(ctx, qs)
	if err == nil {
		return vals, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	o.metricsOnce.Do(func() {
		if o.MetricsNote != nil {
			o.MetricsNote(fmt.Sprintf("utilization not shown: %s", MetricsUnavailableReason(err)))
		}
	})
	return map[overviewMetricKey]*float64{}, nil
}

// MetricsUnavailableReason says in one line why utilization could not be
// read.
func MetricsUnavailableReason(err error) string {
	switch awsapi.ErrorCode(err) {
	case "AccessDenied", "AccessDeniedException":
		return "cloudwatch:GetMetricData is denied (" + ops.OneLineErr(err) + ")"
	}
	return ops.OneLineErr(err)
}
