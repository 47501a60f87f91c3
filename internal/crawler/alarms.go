package crawler

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/target"
)

const (
	maxDeleteAlarms     = 100 // DeleteAlarms takes at most 100 names
	maxDescribeRecords  = 100
	maxAlarmDescription = 1024
)

// desiredAlarm is the alarm the crawler wants for t and kind.
func (c *Crawler) desiredAlarm(t *alarmTarget, kind string) *cloudwatch.PutMetricAlarmInput {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName:         aws.String(contract.AlarmName(c.cfg.AlarmPrefix, t.ID, kind)),
		Namespace:         aws.String(c.cfg.MetricNamespace),
		Dimensions:        c.alarmDimensions(t.ID),
		Period:            aws.Int32(int32(c.cfg.AlarmPeriodSeconds)),
		EvaluationPeriods: aws.Int32(int32(c.cfg.AlarmEvalPeriods)),
		DatapointsToAlarm: aws.Int32(int32(c.cfg.AlarmDatapoints)),
		TreatMissingData:  aws.String("missing"),
		ActionsEnabled:    aws.Bool(true),
		AlarmActions:      []string{c.cfg.AlarmTopicARN},
		OKActions:         []string{c.cfg.AlarmTopicARN},
		Tags: []types.Tag{
			{Key: aws.String(contract.TagTargetID), Value: aws.String(t.ID)},
			{Key: aws.String(contract.TagAlarmKind), Value: aws.String(kind)},
		},
	}
	switch kind {
	case contract.AlarmKindAvailability:
		in.MetricName = aws.String(contract.MetricAvailability)
		in.Statistic = types.StatisticMinimum
		in.ComparisonOperator = types.ComparisonOperatorLessThanThreshold
		in.Threshold = aws.Float64(1)
		in.AlarmDescription = aws.String(truncate(fmt.Sprintf("webhealth: %s (%s) is not available", t.URL, t.Name), maxAlarmDescription))
	case contract.AlarmKindLatency:
		threshold := t.LatencyThresholdMS
		if threshold <= 0 {
			threshold = target.DefaultLatencyThresholdMS
		}
		in.MetricName = aws.String(contract.MetricLatency)
		in.Statistic = types.StatisticAverage
		in.ComparisonOperator = types.ComparisonOperatorGreaterThanThreshold
		in.Threshold = aws.Float64(float64(threshold))
		in.AlarmDescription = aws.String(truncate(fmt.Sprintf("webhealth: %s (%s) latency above %d ms", t.URL, t.Name, threshold), maxAlarmDescription))
	case contract.AlarmKindCertificate:
		days := c.certThreshold(t.CertExpiryDays)
		in.MetricName = aws.String(contract.MetricCertDaysRemaining)
		in.Statistic = types.StatisticMinimum
		in.ComparisonOperator = types.ComparisonOperatorLessThanThreshold
		in.Threshold = aws.Float64(float64(days))
		// The days are published in one hour of the day unless they are near the threshold (certDue):
		// the hours without a datum keep the alarm's state.
		in.TreatMissingData = aws.String("ignore")
		in.AlarmDescription = aws.String(truncate(fmt.Sprintf("webhealth: %s (%s) certificate expires in less than %d days", t.URL, t.Name, days), maxAlarmDescription))
	case contract.AlarmKindVerdict, contract.AlarmKindDegraded:
		c.verdictAlarm(in, t, kind)
	}
	return in
}

// alarmDimensions are the dimensions of the metric a target's alarm of a regional kind reads.
func (c *Crawler) alarmDimensions(id string) []types.Dimension {
	return []types.Dimension{
		{Name: aws.String(contract.DimensionTargetID), Value: aws.String(id)},
		{Name: aws.String(contract.DimensionRegion), Value: aws.String(c.region)},
	}
}

// degradedExpressionID and regionsDownID are the ids of the degraded alarm's two metric queries.
const (
	degradedExpressionID = "degraded"
	regionsDownID        = "m"
)

// verdictAlarm makes in the verdict or degraded alarm of t (docs/design.md "Multi-region"): both read
// RegionsDown (dimension TargetId alone, Maximum: the worst verdict of a period, so a period is down or
// degraded, never both), over the regional alarms' period and datapoints. verdict: RegionsDown >= the
// quorum. degraded: a metric math alarm, IF(m >= 1 AND m < quorum, 1, 0) >= 1. Missing data is
// "missing", as for the availability alarm: a period without a verdict (a check skipped, a run missed)
// is neither down nor up; a home crawler that stopped is the heartbeat ops alarm's.
func (c *Crawler) verdictAlarm(in *cloudwatch.PutMetricAlarmInput, t *alarmTarget, kind string) {
	env := c.cfg.Regions
	quorum, regions := env.Quorum, len(env.Regions)
	dims := []types.Dimension{{Name: aws.String(contract.DimensionTargetID), Value: aws.String(t.ID)}}
	in.Dimensions = dims
	in.ComparisonOperator = types.ComparisonOperatorGreaterThanOrEqualToThreshold
	if kind == contract.AlarmKindVerdict {
		in.MetricName = aws.String(contract.MetricRegionsDown)
		in.Statistic = types.StatisticMaximum
		in.Threshold = aws.Float64(float64(quorum))
		in.AlarmDescription = aws.String(truncate(fmt.Sprintf("webhealth: %s (%s) is down from at least %d of %d regions",
			t.URL, t.Name, quorum, regions), maxAlarmDescription))
		return
	}
	in.Metrics = []types.MetricDataQuery{
		{
			Id:         aws.String(degradedExpressionID),
			Expression: aws.String(DegradedExpression(regionsDownID, quorum)),
			Label:      aws.String("degraded"),
			ReturnData: aws.Bool(true),
		},
		{
			Id: aws.String(regionsDownID),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: in.Namespace, MetricName: aws.String(contract.MetricRegionsDown), Dimensions: dims},
				Period: in.Period,
				Stat:   aws.String(string(types.StatisticMaximum)),
			},
			ReturnData: aws.Bool(false),
		},
	}
	// A metric math alarm names its metrics in Metrics only.
	in.Namespace, in.Dimensions, in.Period = nil, nil, nil
	in.Threshold = aws.Float64(1)
	in.AlarmDescription = aws.String(truncate(fmt.Sprintf("webhealth: %s (%s) is down from some of its %d regions, fewer than %d",
		t.URL, t.Name, regions, quorum), maxAlarmDescription))
}

// DegradedExpression is the degraded alarm's metric math on the RegionsDown query m: 1 in a period in
// which at least one region but fewer than quorum see the target down, else 0.
func DegradedExpression(m string, quorum int) string {
	return fmt.Sprintf("IF(%s >= 1 AND %s < %d, 1, 0)", m, m, quorum)
}

// certThreshold is the certificate alarm's threshold in days: the target's own (own > 0), else
// CERT_EXPIRY_DAYS. The alarm and the publishing of CertDaysRemaining (certDue) both read it.
func (c *Crawler) certThreshold(own int) int {
	if own <= 0 {
		return c.cfg.CertExpiryDays
	}
	return own
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// alarmDigest is a SHA-256 of the fields of an alarm the crawler compares, in one canonical form for
// an existing alarm and for a PutMetricAlarm input (dimensions sorted, action lists as sorted sets).
// The existing alarms are kept for the whole run as digests rather than CloudWatch's whole descriptions.
type alarmDigest [sha256.Size]byte

func digestOfAlarm(a types.MetricAlarm) alarmDigest {
	return alarmShape{
		description: aws.ToString(a.AlarmDescription), namespace: aws.ToString(a.Namespace),
		metricName: aws.ToString(a.MetricName), statistic: string(a.Statistic),
		extendedStatistic: aws.ToString(a.ExtendedStatistic), dimensions: a.Dimensions,
		period: aws.ToInt32(a.Period), evaluationPeriods: aws.ToInt32(a.EvaluationPeriods),
		datapointsToAlarm: aws.ToInt32(a.DatapointsToAlarm), threshold: aws.ToFloat64(a.Threshold),
		comparison: string(a.ComparisonOperator), treatMissingData: aws.ToString(a.TreatMissingData),
		actionsEnabled: aws.ToBool(a.ActionsEnabled), alarmActions: a.AlarmActions, okActions: a.OKActions,
		insufficientDataActions: a.InsufficientDataActions, unit: string(a.Unit), metrics: a.Metrics,
		thresholdMetricID: aws.ToString(a.ThresholdMetricId), lowSampleCountPercentile: aws.ToString(a.EvaluateLowSampleCountPercentile),
	}.digest()
}

func digestOfInput(in *cloudwatch.PutMetricAlarmInput) alarmDigest {
	return alarmShape{
		description: aws.ToString(in.AlarmDescription), namespace: aws.ToString(in.Namespace),
		metricName: aws.ToString(in.MetricName), statistic: string(in.Statistic),
		extendedStatistic: aws.ToString(in.ExtendedStatistic), dimensions: in.Dimensions,
		period: aws.ToInt32(in.Period), evaluationPeriods: aws.ToInt32(in.EvaluationPeriods),
		datapointsToAlarm: aws.ToInt32(in.DatapointsToAlarm), threshold: aws.ToFloat64(in.Threshold),
		comparison: string(in.ComparisonOperator), treatMissingData: aws.ToString(in.TreatMissingData),
		actionsEnabled: aws.ToBool(in.ActionsEnabled), alarmActions: in.AlarmActions, okActions: in.OKActions,
		insufficientDataActions: in.InsufficientDataActions, unit: string(in.Unit), metrics: in.Metrics,
		thresholdMetricID: aws.ToString(in.ThresholdMetricId), lowSampleCountPercentile: aws.ToString(in.EvaluateLowSampleCountPercentile),
	}.digest()
}

// alarmShape is what is compared of an alarm.
type alarmShape struct {
	description, namespace, metricName, statistic, extendedStatistic string
	dimensions                                                       []types.Dimension
	period, evaluationPeriods, datapointsToAlarm                     int32
	threshold                                                        float64
	comparison, treatMissingData                                     string
	actionsEnabled                                                   bool
	alarmActions, okActions, insufficientDataActions                 []string
	unit                                                             string
	metrics                                                          []types.MetricDataQuery
	thresholdMetricID, lowSampleCountPercentile                      string
}

func (s alarmShape) digest() alarmDigest {
	h := sha256.New()
	var n [8]byte
	num := func(v uint64) {
		binary.BigEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	str := func(v string) { // length-prefixed, so that no two field lists write the same bytes
		num(uint64(len(v)))
		h.Write([]byte(v))
	}
	set := func(vs []string) {
		vs = slices.Compact(slices.Sorted(slices.Values(vs)))
		num(uint64(len(vs)))
		for _, v := range vs {
			str(v)
		}
	}
	for _, v := range []string{s.description, s.namespace, s.metricName, s.statistic, s.extendedStatistic} {
		str(v)
	}
	dims := func(ds []types.Dimension) {
		ds = slices.SortedFunc(slices.Values(ds), func(a, b types.Dimension) int {
			return cmp.Or(cmp.Compare(aws.ToString(a.Name), aws.ToString(b.Name)), cmp.Compare(aws.ToString(a.Value), aws.ToString(b.Value)))
		})
		num(uint64(len(ds)))
		for _, d := range ds {
			str(aws.ToString(d.Name))
			str(aws.ToString(d.Value))
		}
	}
	dims(s.dimensions)
	num(uint64(uint32(s.period)))
	num(uint64(uint32(s.evaluationPeriods)))
	num(uint64(uint32(s.datapointsToAlarm)))
	num(math.Float64bits(s.threshold))
	str(s.comparison)
	str(s.treatMissingData)
	enabled := uint64(0)
	if s.actionsEnabled {
		enabled = 1
	}
	num(enabled)
	set(s.alarmActions)
	set(s.okActions)
	set(s.insufficientDataActions)
	str(s.unit)
	num(uint64(len(s.metrics)))
	for _, q := range s.metrics { // in order: CloudWatch keeps the queries as given
		str(aws.ToString(q.Id))
		str(aws.ToString(q.Expression))
		str(aws.ToString(q.Label))
		str(aws.ToString(q.AccountId))
		num(uint64(uint32(aws.ToInt32(q.Period))))
		ret := uint64(1) // ReturnData defaults to true
		if q.ReturnData != nil && !*q.ReturnData {
			ret = 0
		}
		num(ret)
		if ms := q.MetricStat; ms != nil {
			num(1)
			str(aws.ToString(ms.Stat))
			str(string(ms.Unit))
			num(uint64(uint32(aws.ToInt32(ms.Period))))
			if m := ms.Metric; m != nil {
				str(aws.ToString(m.Namespace))
				str(aws.ToString(m.MetricName))
				dims(m.Dimensions)
			}
		} else {
			num(0)
		}
	}
	str(s.thresholdMetricID)
	str(s.lowSampleCountPercentile)
	var d alarmDigest
	h.Sum(d[:0])
	return d
}

// reconcileAlarms makes the alarms under the prefix follow the targets seen: those of
// contract.AlarmKindsOf per enabled target (a certificate alarm for https only; the verdict alarms in
// the home region of a multi-region environment), created when
// missing, rewritten when a field differs (their digests differ: every field the crawler sets, and
// none it does not set), and (only when the scan saw every target) deleted when their target is gone
// or disabled or no longer has that kind (an https target changed to http). existing is what
// ownedAlarms listed (err: the listing failed); only names matching <prefix>-<32 hex>-<kind> are
// touched. ctx bounds the work (the run's reconciliation share): what is left when it ends is counted
// as pending, and the next run, comparing again, does it. Each run starts at a random point of the
// work lists, so items that fail or are left are not always the first ones tried.
func (c *Crawler) reconcileAlarms(ctx context.Context, existing owned, err error, seen map[string]*alarmTarget, complete bool, st *runState) {
	if err != nil {
		st.update(func(s *Summary) { s.AlarmsFailed++ })
		slog.ErrorContext(ctx, "list alarms failed: no alarm is reconciled this run", "error", err)
		return
	}

	var stale []string
	if complete {
		for name, ref := range existing.refs {
			if t, ok := seen[ref.id]; !ok || (t != nil && !slices.Contains(contract.AlarmKindsOf(t.URL, c.cfg.Regions), ref.kind)) {
				stale = append(stale, name)
			}
		}
		slices.Sort(stale)
		stale = rotate(stale)
	} else {
		slog.WarnContext(ctx, "target list incomplete: no alarm is deleted this run")
	}
	var puts []*cloudwatch.PutMetricAlarmInput
	for _, id := range slices.Sorted(maps.Keys(seen)) {
		t := seen[id]
		if t == nil {
			continue
		}
		for _, kind := range contract.AlarmKindsOf(t.URL, c.cfg.Regions) {
			want := c.desiredAlarm(t, kind)
			if have, ok := existing.alarms[aws.ToString(want.AlarmName)]; !ok || have != digestOfInput(want) {
				puts = append(puts, want)
			}
		}
	}

	puts = rotate(puts)
	pending := 0
deletes:
	for start := 0; start < len(stale); start += maxDeleteAlarms {
		if ctx.Err() != nil {
			pending += len(stale) - start
			break
		}
		batch := stale[start:min(start+maxDeleteAlarms, len(stale))]
		err := c.retryThrottled(ctx, "DeleteAlarms", func(ctx context.Context) error {
			_, err := c.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: batch})
			return err
		})
		switch {
		case err == nil:
			st.update(func(s *Summary) { s.AlarmsDeleted += len(batch) })
			slog.InfoContext(ctx, "alarms deleted", "count", len(batch), "first", batch[0], "last", batch[len(batch)-1])
		case ctx.Err() != nil:
			pending += len(stale) - start
			break deletes
		default:
			st.update(func(s *Summary) { s.AlarmsFailed += len(batch) })
			slog.ErrorContext(ctx, "delete alarms failed", "count", len(batch), "error", err)
		}
	}

puts:
	for i, in := range puts {
		if ctx.Err() != nil {
			pending += len(puts) - i
			break
		}
		name := aws.ToString(in.AlarmName)
		_, exists := existing.alarms[name]
		err := c.retryThrottled(ctx, "PutMetricAlarm", func(ctx context.Context) error {
			_, err := c.cw.PutMetricAlarm(ctx, in)
			return err
		})
		switch {
		case err == nil && exists:
			st.update(func(s *Summary) { s.AlarmsUpdated++ })
			slog.InfoContext(ctx, "alarm updated", "alarm", name)
		case err == nil:
			st.update(func(s *Summary) { s.AlarmsCreated++ })
			slog.InfoContext(ctx, "alarm created", "alarm", name)
		case ctx.Err() != nil:
			pending += len(puts) - i
			break puts
		default:
			st.update(func(s *Summary) { s.AlarmsFailed++ })
			slog.ErrorContext(ctx, "put alarm failed", "alarm", name, "error", err)
		}
	}

	st.update(func(s *Summary) { s.AlarmsPending = pending })
	if pending > 0 {
		slog.WarnContext(ctx, "reconciliation share of the run used up: alarm changes left for the next run", "pending", pending)
	}
}

// rotate returns s started at a random index (the ones before it moved to the end).
func rotate[T any](s []T) []T {
	if len(s) < 2 {
		return s
	}
	i := rand.IntN(len(s)) // #nosec G404 -- a starting point, not a secret
	return append(s[i:len(s):len(s)], s[:i]...)
}

// owned is the crawler's existing alarms by name, and the target and kind of each.
type owned struct {
	alarms map[string]alarmDigest
	refs   map[string]alarmRef
}

// alarmRef is what an owned alarm's name says: its target and kind.
type alarmRef struct{ id, kind string }

// ownedAlarms lists the metric alarms named <prefix>-<32 hex>-<kind>, all pages.
func (c *Crawler) ownedAlarms(ctx context.Context) (owned, error) {
	return c.listAlarms(ctx, c.cfg.AlarmPrefix+"-")
}

// listAlarms lists the owned alarms whose names start with namePrefix (the alarm prefix and "-",
// and for a shard an id prefix), all pages.
func (c *Crawler) listAlarms(ctx context.Context, namePrefix string) (owned, error) {
	o := owned{alarms: map[string]alarmDigest{}, refs: map[string]alarmRef{}}
	pages := cloudwatch.NewDescribeAlarmsPaginator(c.cw, &cloudwatch.DescribeAlarmsInput{
		AlarmNamePrefix: aws.String(namePrefix),
		AlarmTypes:      []types.AlarmType{types.AlarmTypeMetricAlarm},
		MaxRecords:      aws.Int32(maxDescribeRecords),
	})
	for pages.HasMorePages() {
		var page *cloudwatch.DescribeAlarmsOutput
		err := c.retryThrottled(ctx, "DescribeAlarms", func(ctx context.Context) error {
			var err error
			page, err = pages.NextPage(ctx)
			return err
		})
		if err != nil {
			return owned{}, fmt.Errorf("describe alarms %s*: %w", namePrefix, err)
		}
		for _, a := range page.MetricAlarms {
			name := aws.ToString(a.AlarmName)
			id, kind, ok := contract.ParseAlarmName(c.cfg.AlarmPrefix, name)
			if !ok {
				continue
			}
			o.alarms[name] = digestOfAlarm(a)
			o.refs[name] = alarmRef{id: id, kind: kind}
		}
	}
	return o, nil
}
