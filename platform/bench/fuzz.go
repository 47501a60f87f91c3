package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/webhealth/webhealth/platform/proc"
)

// DefaultFuzzTime is how long each fuzz target runs.
const DefaultFuzzTime = "10s"

var fuzzCount = regexp.MustCompile(`^[1-9][0-9]{0,8}x$`)

// ParseFuzzTime checks FUZZTIME: a duration (10s, 1m30s) or a number of inputs (1000x), as go test
// -fuzztime takes it; empty is the default.
func ParseFuzzTime(v string) (string, error) {
	if v == "" {
		return DefaultFuzzTime, nil
	}
	if fuzzCount.MatchString(v) {
		return v, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return v, nil
	}
	return "", fmt.Errorf("FUZZTIME=%q: expected a duration such as 10s or 2m, or a number of inputs such as 1000x", v)
}

// FuzzTarget is one fuzz function of a package.
type FuzzTarget struct {
	Module  string // module directory, relative to the repository root
	Package string // import path
	Name    string // FuzzXxx
}

// Fuzzer runs the fuzz targets of the repository's modules.
type Fuzzer struct {
	Root    string
	Modules []string // module directories relative to Root, e.g. "." and "platform"
	Go      string
	Time    string // per target, as ParseFuzzTime returns it
	// Runner runs go (proc.Exec; tests fake it), Env is its environment (nil: this process's).
	Runner proc.Runner
	Env    []string
	Stdout io.Writer
	Stderr io.Writer
}

// Targets finds every `func FuzzXxx(*testing.F)` in the modules' test files, without compiling them.
func (f Fuzzer) Targets(ctx context.Context) ([]FuzzTarget, error) {
	var targets []FuzzTarget
	for _, m := range f.Modules {
		var out, errOut bytes.Buffer
		err := f.Runner.Run(ctx, proc.Cmd{Dir: filepath.Join(f.Root, m), Path: f.Go, Env: f.Env, Stdout: &out, Stderr: &errOut,
			Args: []string{"list", "-f", `{{.ImportPath}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}}`, "./..."}})
		if err != nil {
			return nil, fmt.Errorf("go list in %s: %w: %s", m, err, errOut.String())
		}
		for line := range strings.Lines(out.String()) {
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			for _, file := range fields[1:] {
				names, err := fuzzFuncs(file)
				if err != nil {
					return nil, err
				}
				for _, n := range names {
					targets = append(targets, FuzzTarget{Module: m, Package: fields[0], Name: n})
				}
			}
		}
	}
	return targets, nil
}

// fuzzFuncs are the fuzz targets a test file declares: top-level FuzzXxx(f *testing.F).
func fuzzFuncs(path string) ([]string, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var names []string
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") || fn.Type.Params.NumFields() != 1 {
			continue
		}
		star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "F" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "testing" {
				names = append(names, fn.Name.Name)
			}
		}
	}
	return names, nil
}

// Fuzz runs each target for f.Time, one after the other; it runs them all and then names the ones
// that failed (their failing inputs are in the package's testdata/fuzz).
func (f Fuzzer) Fuzz(ctx context.Context) error {
	targets, err := f.Targets(ctx)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return errors.New("no fuzz target found")
	}
	fmt.Fprintf(f.Stdout, "fuzz: %d targets, %s each\n", len(targets), f.Time)
	var failed []string
	for _, t := range targets {
		fmt.Fprintf(f.Stdout, "fuzz %s %s\n", t.Package, t.Name)
		err := f.Runner.Run(ctx, proc.Cmd{Dir: filepath.Join(f.Root, t.Module), Path: f.Go, Env: f.Env, Stdout: f.Stdout, Stderr: f.Stderr,
			Args: []string{"test", "-run", "^$", "-fuzz", "^" + t.Name + "$", "-fuzztime", f.Time, "-fuzzminimizetime", "5s", t.Package}})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, t.Package+" "+t.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("fuzz targets failed: %s", strings.Join(failed, "; "))
	}
	return nil
}
