// Command alarmlogger is the Lambda function subscribed to the alarm SNS topic: it records every
// CloudWatch alarm state change in the alarm table, marked muted when its target was (internal/alarmlog).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/webhealth/webhealth/internal/alarmlog"
	"github.com/webhealth/webhealth/internal/awsconfig"
	"github.com/webhealth/webhealth/internal/store"
)

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	cfg, err := alarmlog.LoadConfig(os.LookupEnv)
	if err != nil {
		fail("invalid configuration", err)
	}
	awsCfg, err := awsconfig.FromEnv(os.LookupEnv, 5)
	if err != nil {
		fail("AWS configuration", err)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	h := alarmlog.New(store.NewAlarms(db, cfg.Table), store.NewTargets(db, cfg.URLsTable), cfg)
	lambda.Start(h.Handle)
}

func fail(msg string, err error) {
	slog.Error(msg, slog.Any("error", err))
	os.Exit(1)
}
