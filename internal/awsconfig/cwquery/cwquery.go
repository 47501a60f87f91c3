// Package cwquery holds the one CloudWatch client option webhealth needs: the AWS query protocol.
//
// The SDK's default protocol for CloudWatch is Smithy RPC v2 CBOR, which the local emulator (moto)
// does not serve: it answers those requests 404. CloudWatch itself accepts all its protocols, so one
// binary works against both. Every CloudWatch client of the project is built with it:
// cloudwatch.NewFromConfig(cfg, cwquery.Option). It is a package of its own so that the functions
// that never call CloudWatch (urlapi, alarmlogger) do not link the CloudWatch client.
package cwquery

import (
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// Option makes a CloudWatch client speak the AWS query protocol.
func Option(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}
