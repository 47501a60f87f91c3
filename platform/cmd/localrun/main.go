// Command localrun is the local runtime of the webhealth stack: around the AWS emulator (moto)
// it runs the deployed Lambda functions, serves the REST API stages, fires the schedules and
// evaluates the alarms (see internal/localrun). SIGINT or SIGTERM stops it and every function
// process it started.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/webhealth/webhealth/platform/localrun"
)

func main() {
	cfg, err := localrun.LoadConfig(os.Args[1:], os.LookupEnv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(2)
	}
	log := localrun.NewLogger(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := localrun.New(cfg, log, os.Stdout).Run(ctx); err != nil {
		log.Error("local runtime failed", "err", err)
		stop()
		os.Exit(1)
	}
}
