// Command benchreport turns `go test -bench` output into docs/benchmarks.md (internal/benchreport
// has the logic):
//
//	benchreport -in reports/bench/*.txt -out docs/benchmarks.md -command "make bench" [-elapsed 7m12s]
//
// It exits non-zero only when the input is unusable (a file cannot be read, no benchmark line at all)
// or the document cannot be written; a missed target is reported in the document, not by the exit code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/benchreport"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stderr, time.Now)) }

// inputs collects -in values; the files a shell glob expands to after -in land there too.
type inputs []string

func (in *inputs) String() string     { return strings.Join(*in, " ") }
func (in *inputs) Set(v string) error { *in = append(*in, v); return nil }

func run(args []string, stdin io.Reader, stderr io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in inputs
	fs.Var(&in, "in", "go test -bench output file (repeatable; further file arguments are inputs too; - is stdin)")
	out := fs.String("out", "docs/benchmarks.md", "document to write; what follows its notes marker is kept")
	command := fs.String("command", "make bench", "command that produced the input, shown as how to reproduce")
	elapsed := fs.Duration("elapsed", 0, "how long the command took, e.g. 7m12s (omitted when 0)")
	date := fs.String("now", "", "date of the run, RFC 3339 (default: the current time)")
	trim := fs.String("trim", "github.com/webhealth/webhealth/", "import path prefix dropped in the All results table")
	// `-in a.txt b.txt -out x` : flag parsing stops at b.txt, so take such file arguments and go on.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		rest = fs.Args()
		i := 0
		for i < len(rest) && (rest[i] == "-" || !strings.HasPrefix(rest[i], "-")) {
			i++
		}
		in = append(in, rest[:i]...)
		if rest = rest[i:]; len(rest) == 0 {
			break
		}
	}
	if len(in) == 0 {
		fmt.Fprintln(stderr, "benchreport: no input: give -in with go test -bench output files")
		return exitUsage
	}
	at := now()
	if *date != "" {
		t, err := time.Parse(time.RFC3339, *date)
		if err != nil {
			fmt.Fprintf(stderr, "benchreport: -now: %v\n", err)
			return exitUsage
		}
		at = t
	}

	var set benchreport.Set
	for _, name := range in {
		s, err := parseFile(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "benchreport: %v\n", err)
			return exitError
		}
		set.Merge(s)
	}
	if len(set.Results) == 0 {
		fmt.Fprintf(stderr, "benchreport: no benchmark lines in %s\n", strings.Join(in, ", "))
		return exitError
	}

	notes := benchreport.DefaultNotes
	existing, err := os.ReadFile(*out)
	switch {
	case err == nil:
		if kept, ok := benchreport.KeptNotes(existing); ok {
			notes = kept
		}
	case !errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "benchreport: read the notes of %s: %v\n", *out, err)
		return exitError
	}

	machine := benchreport.Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(), Date: at}
	machine.ReadProc(os.ReadFile)
	rows := benchreport.Evaluate(set, benchreport.Figures())
	var doc strings.Builder
	err = benchreport.Render(&doc, benchreport.Doc{
		Command: *command, Elapsed: *elapsed, Machine: machine, Set: set, Rows: rows, TrimPkg: *trim, Notes: notes,
	})
	if err == nil {
		err = benchreport.WriteFile(*out, []byte(doc.String()), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchreport: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stderr, "benchreport: wrote %s: %d benchmark lines; targets: %s\n", *out, len(set.Results), benchreport.Summary(rows))
	return exitOK
}

func parseFile(name string, stdin io.Reader) (benchreport.Set, error) {
	if name == "-" {
		s, err := benchreport.Parse(stdin)
		if err != nil {
			return s, fmt.Errorf("stdin: %w", err)
		}
		return s, nil
	}
	f, err := os.Open(name) // #nosec G304 -- the input file the operator names on the command line
	if err != nil {
		return benchreport.Set{}, fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	s, err := benchreport.Parse(f)
	if err != nil {
		return s, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}
