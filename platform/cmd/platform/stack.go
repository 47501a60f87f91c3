package main

import (
	"context"
	"fmt"
	"os"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/stack"
)

var stackCommands = []string{"up", "down", "status", "crawl", "logs"}

const stackUsage = `usage: platform stack up|down|status|crawl|logs [flags]

  up      moto and the local runtime in the background, the state backends bootstrapped on moto,
          terraform/workload applied as local_<LOCAL_REGION>/<LOCAL_TEAM>/<LOCAL_VERSION>;
          prints API_URL and API_KEY and writes .local/env. Running it again is safe.
          NOTIFY_WEBHOOK_URL=<http(s) URL> (environment only: no flag puts a secret in the process
          list) subscribes one json webhook: stored in moto as the SSM SecureString
          /webhealth/local/notify-webhook, never printed.
  down    stop exactly what up started (the recorded processes, if they are still ours)
  status  what runs, and what the local runtime discovered in moto
  crawl   fire the crawler's schedule now; prints the crawl result and alarm transitions
  logs    follow .local/logs/*.log

`

// stackCmd is `platform stack`.
func stackCmd(ctx context.Context, args []string, env Env) int {
	cmd, rest, code := subcommand("stack", stackUsage, stackCommands, args, env)
	if cmd == "" {
		return code
	}
	fs, s := newSettings("stack "+cmd, stackUsage, env)
	s.add("moto-port", "MOTO_PORT", "port of moto on 127.0.0.1 (default 4566)")
	s.add("localrun-port", "LOCALRUN_PORT", "port of the local runtime on 127.0.0.1 (default 4567)")
	s.add("region", "LOCAL_REGION", "region of the local release (default us-east-1)")
	s.add("team", "LOCAL_TEAM", "team of the local release (default local)")
	s.add("version", "LOCAL_VERSION", "version of the local release (default 0.0.0-local)")
	s.add("state-prefix", "STATE_PREFIX", "state buckets <prefix>-<env> (default webhealth-tfstate)")
	if code, done := parseFlags(fs, rest, env); done {
		return code
	}
	cfg, err := stack.LoadConfig(s.getenv())
	if err != nil {
		return fail(env, "stack "+cmd, err, exitUsage)
	}
	root, err := repoRoot()
	if err != nil {
		return fail(env, "stack "+cmd, err, exitUsage)
	}
	childEnv, err := toolEnv(root)
	if err != nil {
		return fail(env, "stack "+cmd, err, exitFail)
	}
	self, err := os.Executable()
	if err != nil {
		return fail(env, "stack "+cmd, fmt.Errorf("the platform binary (it runs the local runtime): %w", err), exitFail)
	}
	st := &stack.Stack{
		Config: cfg, Root: root, TF: terraformCommand(env), Go: goCommand(env),
		Runner: proc.Exec{}, Env: childEnv, Stdout: env.Stdout, Stderr: env.Stderr,
		Build:   builder(root, env),
		Runtime: []string{self, "localrun"},
	}
	switch cmd {
	case "up":
		err = st.Up(ctx)
	case "down":
		err = st.Down()
	case "status":
		err = st.Status(ctx)
	case "crawl":
		err = st.Crawl(ctx)
	case "logs":
		err = st.Logs(ctx)
	}
	if err != nil {
		return fail(env, "stack "+cmd, err, exitFail)
	}
	return exitOK
}
