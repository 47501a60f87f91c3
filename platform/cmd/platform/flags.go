package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/webhealth/webhealth/platform/build"
	"github.com/webhealth/webhealth/platform/proc"
)

// settings are a command's flags that stand for environment variables: a flag given wins, else the
// variable (platform/README.md, "Settings").
type settings struct {
	fs    *flag.FlagSet
	env   Env
	flags map[string]string // flag name -> variable
}

// newSettings is the flag set of `platform <name>`; -h prints usage and the flags.
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

// getenv reads a setting: its flag when given, else its environment variable.
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

// subcommand splits `platform <group> <command> [flags]`. Without a command, with an unknown one or for
// help it prints usage (help on stdout, else on stderr after what is wrong) and returns "" and the exit
// status.
func subcommand(group, usage string, commands, args []string, env Env) (cmd string, rest []string, code int) {
	switch {
	case len(args) > 0 && slices.Contains(commands, args[0]):
		return args[0], args[1:], exitOK
	case len(args) > 0 && slices.Contains([]string{"help", "-h", "--help"}, args[0]):
		fmt.Fprint(env.Stdout, usage)
		return "", nil, exitOK
	case len(args) > 0:
		fmt.Fprintf(env.Stderr, "platform %s: unknown command %q\n", group, args[0])
	}
	fmt.Fprint(env.Stderr, usage)
	return "", nil, exitUsage
}

// fail prints what stopped `platform <command>` and returns the exit status code.
func fail(env Env, command string, err error, code int) int {
	fmt.Fprintf(env.Stderr, "platform %s: %v\n", command, err)
	return code
}

// repoRoot is the product module's root: the working directory or the nearest parent holding its go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return build.FindRoot(wd)
}

// toolEnv is the tools' environment: this process's, with the project's Terraform settings.
func toolEnv(root string) ([]string, error) {
	return proc.TerraformEnv(os.Environ(), root)
}

func goCommand(env Env) string { return orDefault(env.Getenv("GO"), "go") }

func terraformCommand(env Env) string { return orDefault(env.Getenv("TF"), "terraform") }

// orDefault is v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
