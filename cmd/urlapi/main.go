// Command urlapi is the URL API Lambda function (API Gateway REST, Lambda proxy integration).
// It only wires: configuration from the environment, the DynamoDB client, the handler, lambda.Start.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/webhealth/webhealth/internal/api"
	"github.com/webhealth/webhealth/internal/awsconfig"
	"github.com/webhealth/webhealth/internal/store"
)

// sdkMaxAttempts bounds SDK retries: an API caller is waiting.
const sdkMaxAttempts = 3

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	cfg, err := api.LoadConfig(os.LookupEnv)
	if err != nil {
		slog.Error("urlapi cannot start: bad configuration", slog.Any("error", err))
		os.Exit(1)
	}
	awsCfg, err := awsconfig.FromEnv(os.LookupEnv, sdkMaxAttempts)
	if err != nil {
		slog.Error("urlapi cannot start", slog.Any("error", err))
		os.Exit(1)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	targets := store.NewTargets(db, cfg.URLsTable)
	opts := []api.Option{api.WithRegionItems(targets)}
	if cfg.ChecksTable != "" {
		opts = append(opts, api.WithChecks(store.NewChecks(db, cfg.ChecksTable)))
	}
	h := api.New(targets, store.NewAlarms(db, cfg.AlarmsTable), cfg, opts...)
	lambda.Start(h.Handle)
}
