package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/webhealth/webhealth/platform/build"
	"github.com/webhealth/webhealth/platform/release"
	"github.com/webhealth/webhealth/platform/tfexec"
)

const buildUsage = `usage: platform build [-arch arm64|amd64] [-version V]

Builds build/<arch>/<function>.zip for crawler, alarmlogger and urlapi: bootstrap at the root, built
with -trimpath -tags lambda.norpc -ldflags "-s -w -buildid= -X main.version=<version>", zipped
deterministically (fixed time and mode, no extra fields); a zip is replaced only when its bytes change.

`

// buildCmd is `platform build`.
func buildCmd(ctx context.Context, args []string, env Env) int {
	fs, settings := newSettings("build", buildUsage, env)
	settings.add("arch", "ARCH", "architecture of the zips: arm64 or amd64 (default arm64; this machine's with LOCALRUN_URL set)")
	settings.add("version", "VERSION", "version stamped into the binaries: a release version or dev (default dev)")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	get := settings.getenv()
	arch := get("ARCH")
	if arch == "" {
		arch = release.DefaultArch(get("LOCALRUN_URL"))
	}
	version := get("VERSION")
	if version == "" {
		version = build.DevVersion
	}
	if err := release.CheckArch(arch); err != nil {
		fmt.Fprintln(env.Stderr, "platform build: ARCH:", err)
		return exitUsage
	}
	if err := build.CheckVersion(version); err != nil {
		fmt.Fprintln(env.Stderr, "platform build: VERSION:", err)
		return exitUsage
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(env.Stderr, "platform build:", err)
		return exitUsage
	}
	if err := builder(root, env)(ctx, arch, version); err != nil {
		fmt.Fprintln(env.Stderr, "platform build:", err)
		return exitFail
	}
	return exitOK
}

// builder builds the zips of the repository at root (the release flow and the stack use it too).
func builder(root string, env Env) func(ctx context.Context, arch, version string) error {
	return func(ctx context.Context, arch, version string) error {
		return build.Build(ctx, build.Options{
			Root: root, Arch: arch, Version: version, Go: goCommand(env),
			Runner: tfexec.Exec{}, Env: os.Environ(), Stdout: env.Stdout, Stderr: env.Stderr,
		})
	}
}

func goCommand(env Env) string {
	if g := env.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

func terraformCommand(env Env) string {
	if t := env.Getenv("TF"); t != "" {
		return t
	}
	return "terraform"
}

// repoRoot is the product module's root: the working directory or the nearest parent holding its go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return build.FindRoot(wd)
}

// settings are a command's flags that stand for environment variables: a flag given wins, else the
// variable (platform/README.md, "Settings").
type settings struct {
	fs    *flag.FlagSet
	env   Env
	flags map[string]string // flag name -> variable
}

func newSettings(name, usage string, env Env) (*flag.FlagSet, *settings) {
	fs := flag.NewFlagSet("platform "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, usage)
		fs.PrintDefaults()
	}
	return fs, &settings{fs: fs, env: env, flags: map[string]string{}}
}

func (s *settings) add(name, variable, usage string) {
	s.fs.String(name, "", usage+" ["+variable+"]")
	s.flags[name] = variable
}

func (s *settings) getenv() func(string) string {
	given := map[string]string{}
	s.fs.Visit(func(f *flag.Flag) {
		if v, ok := s.flags[f.Name]; ok {
			given[v] = f.Value.String()
		}
	})
	return func(k string) string {
		if v, ok := given[k]; ok {
			return v
		}
		return s.env.Getenv(k)
	}
}

// parseFlags parses args; done means the command ends now with code (help, a bad flag, a stray argument).
func parseFlags(fs *flag.FlagSet, args []string, env Env) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return exitOK, false
}

// subcommand splits `<group> <command> [flags]`, printing the group's usage when the command is missing
// or unknown.
func subcommand(group string, commands []string, args []string, w io.Writer) (string, []string, bool) {
	if len(args) > 0 {
		for _, c := range commands {
			if args[0] == c {
				return c, args[1:], true
			}
		}
		if args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			fmt.Fprintf(w, "platform %s: unknown command %q\n", group, args[0])
		}
	}
	fmt.Fprintf(w, "usage: platform %s %s [flags]   (platform %s <command> -h: its flags)\n", group, strings.Join(commands, "|"), group)
	return "", nil, false
}

// toolEnv is the tools' environment: this process's, with the project's Terraform settings.
func toolEnv(root string) ([]string, error) {
	return tfexec.TerraformEnv(os.Environ(), root)
}
