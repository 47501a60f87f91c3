package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/benchreport"
)

// Report turns `go test -bench` output into the benchmarks document (docs/benchmarks.md): every
// figure against its target, the machine, all results; what follows the notes marker of the document
// it replaces is kept.
type Report struct {
	Inputs  []string  // go test -bench output files; "-" is Stdin
	Stdin   io.Reader // read for "-"
	Out     string    // the document to write
	Command string    // what produced the input, shown as how to reproduce
	Elapsed time.Duration
	Date    time.Time
	Trim    string // import path prefix dropped in the All results table
	// Carry keeps the results of the document it replaces (its All results table) for every benchmark
	// the inputs have no result of: the inputs are some benchmarks only (make bench-peers).
	Carry bool
}

// ErrNoInput is a report without input files.
var ErrNoInput = errors.New("no input: give -in with go test -bench output files")

// Write writes the document; it fails only when the input is unusable (a file cannot be read, no
// benchmark line at all) or the document cannot be written. A missed target is in the document,
// not an error. It returns the number of benchmark lines and the targets' summary.
func (r Report) Write() (int, string, error) {
	if len(r.Inputs) == 0 {
		return 0, "", ErrNoInput
	}
	var set benchreport.Set
	for _, name := range r.Inputs {
		s, err := parseFile(name, r.Stdin)
		if err != nil {
			return 0, "", err
		}
		set.Merge(s)
	}
	if len(set.Results) == 0 {
		return 0, "", fmt.Errorf("no benchmark lines in %s", strings.Join(r.Inputs, ", "))
	}
	notes, carried := benchreport.DefaultNotes, 0
	existing, err := os.ReadFile(r.Out) // #nosec G304 -- the document the operator names
	switch {
	case err == nil:
		if kept, ok := benchreport.KeptNotes(existing); ok {
			notes = kept
		}
		if r.Carry {
			old, err := benchreport.CarriedResults(existing, r.Trim)
			if err != nil {
				return 0, "", fmt.Errorf("carry over the results of %s: %w", r.Out, err)
			}
			set.Results, carried = carryOver(old, set.Results)
		}
	case !errors.Is(err, os.ErrNotExist):
		return 0, "", fmt.Errorf("read the notes of %s: %w", r.Out, err)
	}
	machine := benchreport.Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(), Date: r.Date}
	machine.ReadProc(os.ReadFile)
	rows := benchreport.Evaluate(set, benchreport.Figures())
	var doc strings.Builder
	if err := benchreport.Render(&doc, benchreport.Doc{
		Command: r.Command, Elapsed: r.Elapsed, Machine: machine, Set: set, Rows: rows, TrimPkg: r.Trim, Notes: notes, Carried: carried,
	}); err != nil {
		return 0, "", err
	}
	if err := benchreport.WriteFile(r.Out, []byte(doc.String()), 0o644); err != nil {
		return 0, "", err
	}
	return len(set.Results), benchreport.Summary(rows), nil
}

// carryOver puts the old results of every benchmark that fresh did not run before fresh: a result is
// replaced when fresh has a result of the same package and top-level benchmark (BenchmarkSchedule for
// BenchmarkSchedule/N=100/C=10), so a group run of some of a package's benchmarks keeps the others. It
// returns them and how many were carried.
func carryOver(old, fresh []benchreport.Result) ([]benchreport.Result, int) {
	ran := map[[2]string]bool{}
	for _, r := range fresh {
		ran[[2]string{r.Pkg, topLevel(r.Name)}] = true
	}
	var out []benchreport.Result
	for _, r := range old {
		if !ran[[2]string{r.Pkg, topLevel(r.Name)}] {
			out = append(out, r)
		}
	}
	return append(out, fresh...), len(out)
}

// topLevel is a benchmark name without its sub-benchmarks.
func topLevel(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

func parseFile(name string, stdin io.Reader) (benchreport.Set, error) {
	if name == "-" {
		if stdin == nil {
			return benchreport.Set{}, errors.New("stdin: no input")
		}
		s, err := benchreport.Parse(stdin)
		if err != nil {
			return s, fmt.Errorf("stdin: %w", err)
		}
		return s, nil
	}
	f, err := os.Open(name) // #nosec G304 -- the input file the operator names
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
