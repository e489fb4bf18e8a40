package sim

import (
	"regexp"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch GetMetricData serves MetricStat queries (Average, Maximum,
// Minimum, Sum, SampleCount at periods that are multiples of 60 s) over the
// published series. Metric math expressions and percentile statistics are
// refused with a ValidationError naming them: the sandbox does not compute
// them rather than answer wrongly.

func init() {
	register(SvcCloudWatch, "GetMetricData", (*Sim).cwGetMetricData)
	register(SvcCloudWatch, "ListMetrics", (*Sim).cwListMetrics)
}

const (
	cwMaxQueries       = 500
	cwDefaultMaxPoints = 100_800
)

var cwQueryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func cwInvalid(format string, args ...any) *APIError {
	return apiErr("ValidationError", format, args...)
}

type cwQueryResult struct {
	id, label string
	ret       bool
	times     []time.Time
	values    []float64
}

func (s *Sim) cwGetMetricData(in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
	p, err := cwMetricDataParams(in)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	var results []cwQueryResult
	for i, q := range in.MetricDataQueries {
		member := i + 1
		if err := cwQueryOK(q, member, ids); err != nil {
			return nil, err
		}
		res, err := s.cwQuery(q, member, p.start, p.end, p.desc)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return cwPageResults(results, p.offset, p.maxPoints)
}

// cwDataParams is a GetMetricData call's window, order and paging.
type cwDataParams struct {
	start, end        time.Time
	desc              bool
	maxPoints, offset int
}

func cwMetricDataParams(in *cloudwatch.GetMetricDataInput) (cwDataParams, error) {
	var p cwDataParams
	n := len(in.MetricDataQueries)
	if n == 0 {
		return p, cwInvalid("The parameter MetricDataQueries is required.")
	}
	if n > cwMaxQueries {
		return p, cwInvalid("The collection MetricDataQueries must not have a size greater than %d.", cwMaxQueries)
	}
	if in.StartTime == nil || in.EndTime == nil {
		return p, cwInvalid("The parameters StartTime and EndTime are required.")
	}
	p.start, p.end = in.StartTime.UTC().Truncate(time.Minute), in.EndTime.UTC()
	if !in.StartTime.Before(*in.EndTime) {
		return p, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	p.desc = true
	switch in.ScanBy {
	case "", cwtypes.ScanByTimestampDescending:
	case cwtypes.ScanByTimestampAscending:
		p.desc = false
	default:
		return p, cwInvalid("The value %s for parameter ScanBy is not valid.", in.ScanBy)
	}
	p.maxPoints = cwDefaultMaxPoints
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints < 1 {
			return p, cwInvalid("The parameter MaxDatapoints must be greater than 0.")
		}
		p.maxPoints = int(*in.MaxDatapoints)
	}
	if in.NextToken != nil && (!pageTokenDecode(*in.NextToken, &p.offset) || p.offset < 0) {
		return p, apiErr("InvalidNextToken", "The service couldn't process your request because the NextToken is invalid.")
	}
	return p, nil
}

// cwQueryOK checks one query's id (well formed, unique among ids) and that
// it is a MetricStat: the sandbox does not evaluate metric math.
func cwQueryOK(q cwtypes.MetricDataQuery, member int, ids map[string]bool) error {
	id := aws.ToString(q.Id)
	if !cwQueryID.MatchString(id) {
		return cwInvalid("The value %s for parameter MetricDataQueries.member.%d.Id is not valid: it must start with a lowercase letter and contain only letters, numbers and underscores.", id, member)
	}
	if ids[id] {
		return cwInvalid("The values for parameter id in MetricDataQueries must be unique. Duplicate value: %s.", id)
	}
	ids[id] = true
	if q.Expression != nil && q.MetricStat != nil {
		return cwInvalid("The parameter MetricDataQueries.member.%d must specify either Expression or MetricStat, not both.", member)
	}
	if q.Expression != nil {
		return cwInvalid("The sandbox does not evaluate metric math: MetricDataQueries.member.%d.Expression %q is not supported.", member, *q.Expression)
	}
	return nil
}

// cwPageResults pages over the datapoints of the returned queries, in
// query order: maxPoints from offset, a result cut by the page's end being
// PartialData.
func cwPageResults(results []cwQueryResult, offset, maxPoints int) (*cloudwatch.GetMetricDataOutput, error) {
	total := 0
	for _, r := range results {
		if r.ret {
			total += len(r.times)
		}
	}
	if offset > total {
		return nil, apiErr("InvalidNextToken", "The service couldn't process your request because the NextToken is invalid.")
	}
	out := &cloudwatch.GetMetricDataOutput{MetricDataResults: []cwtypes.MetricDataResult{}, Messages: []cwtypes.MessageData{}}
	winLo, winHi := offset, min(total, offset+maxPoints)
	pos := 0
	for _, r := range results {
		if !r.ret {
			continue
		}
		lo, hi := pos, pos+len(r.times)
		pos = hi
		a, b := max(lo, winLo), min(hi, winHi)
		if a >= b && !(lo == hi && offset == 0) {
			continue
		}
		if a > b {
			a = b
		}
		mr := cwtypes.MetricDataResult{
			Id: aws.String(r.id), Label: aws.String(r.label), StatusCode: cwtypes.StatusCodeComplete,
			Timestamps: append([]time.Time{}, r.times[a-lo:b-lo]...),
			Values:     append([]float64{}, r.values[a-lo:b-lo]...),
			Messages:   []cwtypes.MessageData{},
		}
		if hi > winHi {
			mr.StatusCode = cwtypes.StatusCodePartialData
		}
		out.MetricDataResults = append(out.MetricDataResults, mr)
	}
	if winHi < total {
		out.NextToken = aws.String(pageTokenEncode(winHi))
	}
	return out, nil
}

func (s *Sim) cwQuery(q cwtypes.MetricDataQuery, member int, start, end time.Time, desc bool) (cwQueryResult, error) {
	ms := q.MetricStat
	period, stat, err := cwCheckMetricStat(ms, member)
	if err != nil {
		return cwQueryResult{}, err
	}
	res := cwQueryResult{id: aws.ToString(q.Id), label: aws.ToString(q.Label), ret: q.ReturnData == nil || *q.ReturnData}
	name := aws.ToString(ms.Metric.MetricName)
	if res.label == "" {
		res.label = name
	}
	var dims []MetricDimension
	for _, d := range ms.Metric.Dimensions {
		dims = append(dims, MetricDimension{aws.ToString(d.Name), aws.ToString(d.Value)})
	}
	ser := s.cw.Series[seriesKey(aws.ToString(ms.Metric.Namespace), name, sortDims(dims))]
	if ser == nil || (ms.Unit != "" && string(ms.Unit) != ser.Unit) {
		return res, nil
	}
	step := time.Duration(period) * time.Second
	buckets := map[time.Time]*cwAgg{}
	i := sort.Search(len(ser.Points), func(i int) bool { return !ser.Points[i].T.Before(start) })
	for ; i < len(ser.Points) && ser.Points[i].T.Before(end); i++ {
		p := ser.Points[i]
		b := start.Add(p.T.Sub(start) / step * step)
		a := buckets[b]
		if a == nil {
			a = &cwAgg{min: p.V, max: p.V}
			buckets[b] = a
		}
		a.sum += p.V
		a.n++
		a.min = min(a.min, p.V)
		a.max = max(a.max, p.V)
	}
	for t := range buckets {
		res.times = append(res.times, t)
	}
	sort.Slice(res.times, func(i, j int) bool {
		if desc {
			return res.times[i].After(res.times[j])
		}
		return res.times[i].Before(res.times[j])
	})
	for _, t := range res.times {
		a := buckets[t]
		res.values = append(res.values, a.stat(stat))
	}
	return res, nil
}

// cwCheckMetricStat checks a query's MetricStat as GetMetricData does and
// returns its period (seconds) and statistic.
func cwCheckMetricStat(ms *cwtypes.MetricStat, member int) (int, string, error) {
	if ms == nil || ms.Metric == nil || aws.ToString(ms.Metric.MetricName) == "" || aws.ToString(ms.Metric.Namespace) == "" {
		return 0, "", cwInvalid("The parameter MetricDataQueries.member.%d.MetricStat must name a Metric with a Namespace and a MetricName.", member)
	}
	if ms.Period == nil {
		return 0, "", cwInvalid("The parameter MetricDataQueries.member.%d.MetricStat.Period is required.", member)
	}
	period := int(*ms.Period)
	if period <= 0 || period%60 != 0 {
		return 0, "", cwInvalid("The parameter MetricDataQueries.member.%d.MetricStat.Period must be a multiple of 60.", member)
	}
	stat := aws.ToString(ms.Stat)
	switch stat {
	case "Average", "Maximum", "Minimum", "Sum", "SampleCount":
	case "":
		return 0, "", cwInvalid("The parameter MetricDataQueries.member.%d.MetricStat.Stat is required.", member)
	default:
		return 0, "", cwInvalid("The sandbox supports the statistics Average, Maximum, Minimum, Sum and SampleCount; MetricDataQueries.member.%d.MetricStat.Stat %q is not supported.", member, stat)
	}
	return period, stat, nil
}

// cwAgg is one period's points of a series.
type cwAgg struct {
	sum, min, max float64
	n             int
}

// stat is the period's value for one of the statistics cwCheckMetricStat allows.
func (a *cwAgg) stat(stat string) float64 {
	switch stat {
	case "Average":
		return a.sum / float64(a.n)
	case "Maximum":
		return a.max
	case "Minimum":
		return a.min
	case "Sum":
		return a.sum
	}
	return float64(a.n) // SampleCount
}

func (s *Sim) cwListMetrics(in *cloudwatch.ListMetricsInput) (*cloudwatch.ListMetricsOutput, error) {
	if len(in.Dimensions) > 10 {
		return nil, cwInvalid("The collection Dimensions must not have a size greater than 10.")
	}
	var keys []string
	for k, ser := range s.cw.Series {
		if ns := aws.ToString(in.Namespace); ns != "" && ser.Namespace != ns {
			continue
		}
		if n := aws.ToString(in.MetricName); n != "" && ser.Name != n {
			continue
		}
		if !dimsMatch(ser.Dimensions, in.Dimensions) {
			continue
		}
		keys = append(keys, k)
	}
	page, next, ok := pageOfKeys(keys, in.NextToken, min(500, s.PageSize()))
	if !ok {
		return nil, apiErr("InvalidNextToken", "The service couldn't process your request because the NextToken is invalid.")
	}
	out := &cloudwatch.ListMetricsOutput{Metrics: []cwtypes.Metric{}, NextToken: next}
	for _, k := range page {
		ser := s.cw.Series[k]
		m := cwtypes.Metric{Namespace: aws.String(ser.Namespace), MetricName: aws.String(ser.Name), Dimensions: []cwtypes.Dimension{}}
		for _, d := range ser.Dimensions {
			m.Dimensions = append(m.Dimensions, cwtypes.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)})
		}
		out.Metrics = append(out.Metrics, m)
	}
	return out, nil
}

func dimsMatch(have []MetricDimension, filters []cwtypes.DimensionFilter) bool {
	for _, f := range filters {
		ok := false
		for _, d := range have {
			if d.Name == aws.ToString(f.Name) && (f.Value == nil || d.Value == *f.Value) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
