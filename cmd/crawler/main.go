// Command crawler is the scheduled Lambda function that probes the monitored targets, publishes
// their metrics, writes its region's checks (and, in the home region, last_check) and reconciles the per-target alarms. It only wires: see
// internal/crawler for the behaviour and docs/design.md for the configuration.
package main

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhealth/webhealth/internal/awsconfig"
	"github.com/webhealth/webhealth/internal/awsconfig/cwquery"
	"github.com/webhealth/webhealth/internal/contract"
	"github.com/webhealth/webhealth/internal/crawler"
	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/probe"
	"github.com/webhealth/webhealth/internal/store"
)

// version is set at build time (-ldflags "-X main.version=<release>"); it goes into the User-Agent, with the
// region that probes (probe.UserAgent).
var version = ""

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	cfg, err := crawler.LoadConfig(os.LookupEnv)
	if err != nil {
		fail("configuration", err)
	}
	awsCfg, err := awsconfig.FromEnv(os.LookupEnv, 5)
	if err != nil {
		fail("aws configuration", err)
	}
	prober, err := probe.New(probe.Options{
		Guard:        netguard.New(cfg.AllowPrivateTargets),
		MaxBodyBytes: cfg.MaxBodyBytes,
		MaxRedirects: cfg.MaxRedirects,
		RetryDelay:   cfg.RetryDelay,
		UserAgent:    probe.UserAgent(buildVersion(), awsCfg.Region),
	})
	if err != nil {
		fail("prober", err)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	opts := []crawler.Option{crawler.WithLease(store.NewLeases(db, cfg.URLsTable))}
	if cfg.ChecksTable != "" {
		// Multi-region (docs/design.md): this region's check of each target; last_check only in the home region.
		checks := store.NewChecks(db, cfg.ChecksTable)
		opts = append(opts, crawler.WithChecks(checks))
		if contract.JudgesVerdict(cfg.Regions) {
			// The home region of several also judges the verdict from the other regions' checks (RegionsDown).
			opts = append(opts, crawler.WithVerdict(checks))
		}
	}
	if cfg.ShardQueueURL != "" {
		// Fan-out (docs/design.md, "Fan-out"): only with a shard queue; without one a run judges every target.
		opts = append(opts, crawler.WithFanOut(sqs.NewFromConfig(awsCfg), cfg.ShardQueueURL, cfg.MaxShards,
			store.NewTargetBatches(db, cfg.URLsTable)))
	}
	c, err := crawler.New(cfg, awsCfg.Region,
		store.NewTargets(db, cfg.URLsTable),
		cloudwatch.NewFromConfig(awsCfg, cwquery.Option),
		prober,
		opts...)
	if err != nil {
		fail("crawler", err)
	}
	lambda.Start(c.Handle)
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
	slog.Error("crawler cannot start", "stage", what, "error", err)
	os.Exit(1)
}
