package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/webhealth/webhealth/platform/proc"
	"github.com/webhealth/webhealth/platform/release"
	"github.com/webhealth/webhealth/platform/release/awsdeploy"
)

var releaseCommands = []string{"env", "build", "plan", "apply", "deploy", "smoke", "drift", "record", "run"}

// guardedCommands decide what is released: the release guard runs first (release.Flow.Guard: the tagged
// commit on RELEASE_BRANCH, the prior environment's release under RELEASE_PROMOTION).
var guardedCommands = map[string]bool{"plan": true, "apply": true, "run": true}

// roleCommands run terraform in the workload account: under ASSUME_ROLE_ARN (release.Flow.UseRole).
var roleCommands = map[string]bool{"plan": true, "apply": true, "deploy": true, "smoke": true, "drift": true, "run": true}

const releaseUsage = `usage: platform release <command> -tag <env>_<region>/<team>/<version> [flags]

  env     print the release settings (RELEASE_ENV ... LOCK_TABLE, STATE_REGION; -format json)
  build   the Lambda zips of the tag's version for ARCH
  plan    plan into build/plans/<env>-<region>-<team>.tfplan (.tag, .tfplan.txt, .summary), print the summary
  apply   apply exactly the saved plan of the tag (refuses without one)
  deploy  shift each live alias to its new version with CodeDeploy and wait (a rollback fails it)
  smoke   the end-to-end TestSmoke against the tag's API (JUnit: reports/smoke-<name>.xml)
  drift   plan the tag's code against live infrastructure: exit 0 none, 2 DRIFT, 1 the check could not run
  record  store the release snapshot at RELEASE_SNAPSHOT_URI/<region>/<team>/current.zip
  run     env, build, plan, apply, deploy, smoke (what the pipeline does)

The tag is checked before anything runs (a refs/tags/ prefix is accepted); so is every setting.

`

// releaseCmd is `platform release`.
func releaseCmd(ctx context.Context, args []string, env Env) int {
	cmd, rest, code := subcommand("release", releaseUsage, releaseCommands, args, env)
	if cmd == "" {
		return code
	}
	fs, s := newSettings("release "+cmd, releaseUsage, env)
	s.add("tag", "TAG", "release tag <env>_<region>/<team>/<version>")
	s.add("environments", "ENVIRONMENTS", "environments a tag may name, space or comma separated (default dev beta prod; local, the local stack's, is always accepted)")
	s.add("state-prefix", "STATE_PREFIX", "state buckets <prefix>-<env>, lock tables <prefix>-lock-<env> (default webhealth-tfstate)")
	s.add("state-region", "STATE_REGION", "region of the state buckets (default the tag's region)")
	s.add("state-locking", "STATE_LOCKING", "dynamodb or lockfile (default dynamodb)")
	s.add("assume-role-arn", "ASSUME_ROLE_ARN", "role in the workload account terraform runs as: the read-only role (plan, smoke, drift) or the deployment role (apply, deploy)")
	s.add("expect-env", "EXPECT_ENV", "refuse a tag of another environment")
	s.add("snapshot-uri", "RELEASE_SNAPSHOT_URI", "s3://bucket[/prefix] of release snapshots (record)")
	s.add("arch", "ARCH", "architecture of the zips: arm64 or amd64 (default arm64; this machine's with LOCALRUN_URL set)")
	tagFile := fs.String("tag-file", "", "read the tag from this file (build/release/tag of a release snapshot)")
	format := fs.String("format", release.FormatEnv, "env: output format, env or json")
	if code, done := parseFlags(fs, rest, env); done {
		return code
	}
	// drift tells drift (2) from a check that could not run (1), whatever stopped it.
	failed := func(err error) int {
		var in *release.InputError
		if errors.As(err, &in) && cmd != "drift" {
			return fail(env, "release "+cmd, err, exitUsage)
		}
		return fail(env, "release "+cmd, err, exitFail)
	}
	get := s.getenv()
	tag := get("TAG")
	if *tagFile != "" {
		b, err := os.ReadFile(*tagFile) // #nosec G304 -- the tag file the operator names
		if err != nil {
			return failed(&release.InputError{Err: fmt.Errorf("%s is missing: this source is not a release snapshot (platform release record writes it): %w", *tagFile, err)})
		}
		tag = strings.TrimSuffix(string(b), "\n")
	}
	cfg, err := release.LoadConfig(get)
	if err != nil {
		return failed(&release.InputError{Err: err})
	}
	root, err := repoRoot()
	if err != nil {
		return failed(err)
	}
	flow, err := newFlow(root, cfg, env)
	if err != nil {
		return failed(err)
	}
	t, err := flow.Prepare(tag)
	if err != nil {
		return failed(err)
	}
	if guardedCommands[cmd] {
		g, err := release.LoadGuardConfig(get, cfg.Environments)
		if err != nil {
			return failed(&release.InputError{Err: err})
		}
		if err := flow.Guard(ctx, t, g, "git", &awsdeploy.Records{}); err != nil {
			return failed(err)
		}
	}
	if roleCommands[cmd] {
		if err := flow.UseRole(ctx, t, &awsdeploy.Assumer{}); err != nil {
			return failed(err)
		}
	}
	switch cmd {
	case "env":
		out, err := flow.EnvOutput(t, *format)
		if err != nil {
			return failed(err)
		}
		if _, err := env.Stdout.Write(out); err != nil {
			return failed(err)
		}
		return exitOK
	case "build":
		err = flow.Build(ctx, cfg.Arch, t.Version)
	case "plan":
		err = flow.Plan(ctx, t)
	case "apply":
		err = flow.Apply(ctx, t)
	case "deploy":
		err = flow.Deploy(ctx, t)
	case "smoke":
		err = flow.Smoke(ctx, t)
	case "record":
		if err = flow.Record(ctx, t); err == nil {
			err = flow.RecordVersion(ctx, t)
		}
	case "run":
		err = flow.Run(ctx, t)
	case "drift":
		drifted, err := flow.Drift(ctx, t)
		if err != nil {
			return failed(err)
		}
		if drifted {
			return 2
		}
		return exitOK
	}
	if err != nil {
		return failed(err)
	}
	return exitOK
}

// newFlow wires the release flow to the real tools: terraform and go as argument lists, the SDK for
// CodeDeploy, Lambda and S3.
func newFlow(root string, cfg release.Config, env Env) (*release.Flow, error) {
	childEnv, err := toolEnv(root)
	if err != nil {
		return nil, err
	}
	return &release.Flow{
		Root: root, Config: cfg, TF: terraformCommand(env), Go: goCommand(env),
		Runner: proc.Exec{}, Env: childEnv, Stdout: env.Stdout, Stderr: env.Stderr,
		Build:    builder(root, env),
		Deployer: &awsdeploy.Deployer{Out: env.Stdout, Err: env.Stderr},
		Uploader: &awsdeploy.Uploader{},
	}, nil
}
