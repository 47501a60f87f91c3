// Command notifier is the Lambda function subscribed to the alarm topic and the ops topic: it tells
// people about alarm state changes on the configured webhooks and on the people topic that e-mail and
// AWS Chatbot subscribe to (internal/notify; docs/design.md).
package main

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/webhealth/webhealth/internal/awsconfig"
	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/store"
)

// version is set at build time (-ldflags "-X main.version=<release>"); it goes into the User-Agent.
var version = ""

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	cfg, err := notify.LoadConfig(os.LookupEnv)
	if err != nil {
		fail("configuration", err)
	}
	awsCfg, err := awsconfig.FromEnv(os.LookupEnv, 5)
	if err != nil {
		fail("aws configuration", err)
	}
	poster, err := notify.NewPoster(notify.PosterOptions{
		Guard:     netguard.New(cfg.AllowPrivateTargets),
		UserAgent: "webhealth-notifier/" + buildVersion(),
	})
	if err != nil {
		fail("poster", err)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	h := notify.New(cfg,
		store.NewTargets(db, cfg.URLsTable),
		store.NewAlarms(db, cfg.AlarmsTable),
		store.NewDeliveries(db, cfg.DeliveriesTable),
		notify.NewSecrets(ssm.NewFromConfig(awsCfg), secretsmanager.NewFromConfig(awsCfg), notify.DefaultSecretTTL),
		poster,
		sns.NewFromConfig(awsCfg))
	lambda.Start(h.Handle)
}

// buildVersion is the -X version, else the module version the binary was built from, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func fail(what string, err error) {
	slog.Error("notifier cannot start", "stage", what, "error", err)
	os.Exit(1)
}
