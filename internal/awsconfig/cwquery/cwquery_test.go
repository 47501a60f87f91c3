//go:build integration

package cwquery

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/testutil/moto"
)

// TestOptionOnMoto proves why every CloudWatch client of the project is built with
// Option: with it a metric put to the emulator is listed back; with the SDK's
// default protocol (Smithy RPC v2 CBOR) moto answers 404 to the very same call.
func TestOptionOnMoto(t *testing.T) {
	t.Parallel()
	cfg := moto.Shared(t).Config()
	tests := []struct {
		name       string
		opts       []func(*cloudwatch.Options)
		wantStatus int // 0: the round trip works
	}{
		{name: "query protocol", opts: []func(*cloudwatch.Options){Option}},
		{name: "SDK default (RPC v2 CBOR)", wantStatus: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cw := cloudwatch.NewFromConfig(cfg, tc.opts...)
			ns := "WebHealth/awsconfig-" + t.Name()
			dims := []types.Dimension{{Name: aws.String("TargetId"), Value: aws.String("t1")}}
			_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace: aws.String(ns),
				MetricData: []types.MetricDatum{{
					MetricName: aws.String("Availability"), Dimensions: dims, Value: aws.Float64(1),
					Unit: types.StandardUnitNone, Timestamp: aws.Time(time.Now()),
				}},
			})
			if tc.wantStatus != 0 {
				var resp *smithyhttp.ResponseError
				require.True(t, errors.As(err, &resp), "want an HTTP error, got %v", err)
				assert.Equal(t, tc.wantStatus, resp.HTTPStatusCode())
				return
			}
			require.NoError(t, err)
			out, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(ns)})
			require.NoError(t, err)
			require.Len(t, out.Metrics, 1)
			assert.Equal(t, "Availability", aws.ToString(out.Metrics[0].MetricName))
			assert.Equal(t, dims, out.Metrics[0].Dimensions)
		})
	}
}
