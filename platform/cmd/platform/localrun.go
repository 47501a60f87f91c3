package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/webhealth/webhealth/platform/localrun"
)

// localrunCmd is the local runtime daemon (`platform stack up` starts it): around the emulator it runs the
// deployed functions, serves the REST API stages, fires the schedules and evaluates the alarms until
// SIGINT or SIGTERM, then stops every function process it started.
func localrunCmd(ctx context.Context, args []string, env Env) int {
	cfg, err := localrun.LoadConfig(args, os.LookupEnv, env.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "platform localrun:", err)
		return exitUsage
	}
	log := localrun.NewLogger(cfg, env.Stderr)
	if err := localrun.New(cfg, log, env.Stdout).Run(ctx); err != nil {
		log.Error("local runtime failed", "err", err)
		return exitFail
	}
	return exitOK
}
