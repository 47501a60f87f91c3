package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Output formats of the releasetag command.
const (
	FormatEnv  = "env"
	FormatJSON = "json"
)

// EnvLines renders s as KEY=value lines. The values are not quoted, so the same text works with
// `eval` in a shell and as a Makefile include; that is safe because every value is checked to
// consist of letters, digits and . _ - + / only (Parse guarantees it; the check guards changes).
func (s Settings) EnvLines() (string, error) {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"RELEASE_ENV", s.Environment},
		{"RELEASE_REGION", s.Region},
		{"RELEASE_TEAM", s.Team},
		{"RELEASE_VERSION", s.Version},
		{"STATE_BUCKET", s.StateBucket},
		{"STATE_KEY", s.StateKey},
		{"LOCK_TABLE", s.LockTable},
	} {
		if kv[1] == "" || strings.IndexFunc(kv[1], func(r rune) bool { return !allowedRune(r) }) >= 0 {
			return "", fmt.Errorf("%s=%q is not shell-safe", kv[0], kv[1])
		}
		b.WriteString(kv[0] + "=" + kv[1] + "\n")
	}
	return b.String(), nil
}

// Format renders s in FormatEnv or FormatJSON.
func (s Settings) Format(format string) ([]byte, error) {
	switch format {
	case FormatEnv:
		lines, err := s.EnvLines()
		return []byte(lines), err
	case FormatJSON:
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode settings: %w", err)
		}
		return append(b, '\n'), nil
	}
	return nil, fmt.Errorf("format %q is not %s or %s", format, FormatEnv, FormatJSON)
}

// Exit statuses of Run.
const (
	ExitOK    = 0
	ExitError = 1 // output could not be written
	ExitUsage = 2 // invalid tag, flags or configuration
)

const usage = `usage: releasetag -tag <tag> -envs <env,...> -prefix <state prefix> [-format env|json]

Parses a release tag ` + Form + ` (e.g. ` + Example + `, or refs/tags/` + Example + `)
and prints the release settings: RELEASE_ENV, RELEASE_REGION, RELEASE_TEAM, RELEASE_VERSION,
STATE_BUCKET (<prefix>-<env>), STATE_KEY (<team>/<env>-<region>/terraform.tfstate) and
LOCK_TABLE (<prefix>-lock-<env>). An invalid tag prints the reason on stderr, nothing on
stdout, and exits with status 2.

`

// Run is the releasetag command: it parses args, writes the settings to stdout, or a message to
// stderr, and returns the exit status. Nothing is written to stdout unless the tag is valid.
func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("releasetag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	tag := fs.String("tag", "", "release tag "+Form+" (a refs/tags/ prefix is stripped)")
	envs := fs.String("envs", "", "comma-separated environments a tag may name, e.g. local,dev,beta,prod")
	prefix := fs.String("prefix", "", "state prefix: bucket <prefix>-<env>, lock table <prefix>-lock-<env>")
	format := fs.String("format", FormatEnv, "output format: env (KEY=value lines) or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "releasetag: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return ExitUsage
	}
	out, err := settings(*tag, *envs, *prefix, *format)
	if err != nil {
		fmt.Fprintf(stderr, "releasetag: %v\n", err)
		return ExitUsage
	}
	if _, err := io.Copy(stdout, bytes.NewReader(out)); err != nil {
		fmt.Fprintf(stderr, "releasetag: write output: %v\n", err)
		return ExitError
	}
	return ExitOK
}

func settings(tag, envs, prefix, format string) ([]byte, error) {
	if format != FormatEnv && format != FormatJSON {
		return nil, fmt.Errorf("-format %q is not %s or %s", format, FormatEnv, FormatJSON)
	}
	if prefix == "" {
		return nil, errors.New("-prefix is required")
	}
	var list []string
	for e := range strings.SplitSeq(envs, ",") {
		if e = strings.TrimSpace(e); e != "" {
			list = append(list, e)
		}
	}
	if len(list) == 0 {
		return nil, errors.New("-envs is required (comma-separated, e.g. local,dev,beta,prod)")
	}
	r, err := Parse(tag, list)
	if err != nil {
		return nil, err
	}
	s, err := r.Settings(prefix)
	if err != nil {
		return nil, err
	}
	return s.Format(format)
}
