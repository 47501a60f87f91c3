//go:build integration

package awsconfig_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/awsconfig"
	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// TestOnMoto runs the functions' calls against the emulator with the configuration the local
// runtime gives a function: DynamoDB, and CloudWatch with a PutMetricData body above the request
// compression threshold (so it is sent gzip-compressed, as in a large crawl).
func TestOnMoto(t *testing.T) {
	t.Parallel()
	m := moto.Shared(t)
	cfg, err := awsconfig.FromEnv(env(
		"AWS_REGION", moto.Region, "AWS_ENDPOINT_URL", m.Endpoint,
		"AWS_ACCESS_KEY_ID", "localrun", "AWS_SECRET_ACCESS_KEY", "localrun", "AWS_SESSION_TOKEN", "localrun",
	), 3)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)

	rec := &encodings{next: awshttp.NewBuildableClient()}
	cw := cloudwatch.NewFromConfig(cfg, cwquery.Option, func(o *cloudwatch.Options) { o.HTTPClient = rec })
	ns := "WebHealth/awsconfig-" + strings.ReplaceAll(t.Name(), "/", "-")
	var data []cwtypes.MetricDatum
	for i := range 200 {
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String("Latency"), Value: aws.Float64(float64(i)), Unit: cwtypes.StandardUnitMilliseconds,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetId"), Value: aws.String(fmt.Sprintf("%032x", i))}},
			Timestamp:  aws.Time(time.Now()),
		})
	}
	_, err = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: data})
	require.NoError(t, err)
	assert.Equal(t, []string{"gzip"}, rec.seen(), "PutMetricData above the threshold is sent compressed")
	out, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(ns)})
	require.NoError(t, err)
	assert.Len(t, out.Metrics, 200)
}

// encodings records the Content-Encoding of every request it passes on.
type encodings struct {
	next aws.HTTPClient
	mu   sync.Mutex
	encs []string
}

func (e *encodings) Do(r *http.Request) (*http.Response, error) {
	e.mu.Lock()
	e.encs = append(e.encs, r.Header.Get("Content-Encoding"))
	e.mu.Unlock()
	return e.next.Do(r)
}

func (e *encodings) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.encs...)
}
