package lambdarun

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	types "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MetricsAPI publishes the metrics Lambda itself publishes (namespace AWS/Lambda), so alarms on
// a function's errors, throttles or duration work against the emulator too.
type MetricsAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// invocationMetrics are the datums of one invocation, by FunctionName and by Resource
// (FunctionName plus the qualifier invoked), as Lambda reports them.
func invocationMetrics(r Resolved, res *Result, err error, at time.Time) []types.MetricDatum {
	resource := r.Config.Name
	if r.Qualifier != "" {
		resource += ":" + r.Qualifier
	}
	dimSets := [][]types.Dimension{
		{{Name: aws.String("FunctionName"), Value: aws.String(r.Config.Name)}},
		{{Name: aws.String("FunctionName"), Value: aws.String(r.Config.Name)}, {Name: aws.String("Resource"), Value: aws.String(resource)}},
	}
	type m struct {
		name  string
		value float64
		unit  types.StandardUnit
	}
	var ms []m
	switch {
	case errors.Is(err, ErrThrottled):
		ms = []m{{"Throttles", 1, types.StandardUnitCount}}
	case err != nil || res == nil:
		return nil // not run at all (no artifact, emulator unreachable): Lambda would not count it either
	default:
		errCount := 0.0
		if res.Failed() {
			errCount = 1
		}
		ms = []m{
			{"Invocations", 1, types.StandardUnitCount},
			{"Errors", errCount, types.StandardUnitCount},
			{"Duration", float64(res.Duration.Microseconds()) / 1000, types.StandardUnitMilliseconds},
		}
	}
	out := make([]types.MetricDatum, 0, len(ms)*len(dimSets))
	for _, d := range dimSets {
		for _, x := range ms {
			out = append(out, types.MetricDatum{MetricName: aws.String(x.name), Dimensions: d, Value: aws.Float64(x.value), Unit: x.unit, Timestamp: aws.Time(at)})
		}
	}
	return out
}

// publishMetrics batches datums from s.metricsCh to the emulator once a second.
func (s *Service) publishMetrics() {
	defer close(s.metricsDone)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var batch []types.MetricDatum
	flush := func() {
		for len(batch) > 0 {
			n := min(len(batch), 1000)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := s.opts.Metrics.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: batch[:n]})
			cancel()
			if err != nil {
				s.log.Warn("publish AWS/Lambda metrics to the emulator", "err", err)
			}
			batch = batch[n:]
		}
	}
	for {
		select {
		case ds, ok := <-s.metricsCh:
			if !ok {
				flush()
				return
			}
			batch = append(batch, ds...)
		case <-tick.C:
			flush()
		}
	}
}

func (s *Service) recordMetrics(r Resolved, res *Result, err error) {
	if s.opts.Metrics == nil {
		return
	}
	ds := invocationMetrics(r, res, err, time.Now())
	if len(ds) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.metricsCh <- ds:
	default:
		s.log.Warn("metrics queue full; dropping an invocation's AWS/Lambda metrics", "function", r.Config.Name)
	}
}
