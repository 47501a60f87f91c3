// Package benchreport turns `go test -bench` text output into docs/benchmarks.md: it parses the
// benchmark lines (Parse), checks the figures of issue 6 against their targets (Evaluate, Figures)
// and writes the document (Render), keeping the hand-written notes at its end (KeptNotes).
package benchreport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Result is one benchmark line of `go test -bench` output.
type Result struct {
	Pkg     string   // import path from the preceding "pkg:" line, "" when there was none
	Name    string   // full name without the -GOMAXPROCS suffix, e.g. BenchmarkSchedule/N=100/C=10
	Procs   int      // GOMAXPROCS from the suffix; 1 when there is none (go test omits -1)
	Iters   int64    // b.N
	Metrics []Metric // in the order printed
}

// A Metric is one "value unit" pair of a benchmark line.
type Metric struct {
	Unit  string
	Value float64
	Text  string // the value as go test printed it
}

// Metric returns the value reported with unit.
func (r Result) Metric(unit string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// A Status records a benchmark that printed no result: "--- SKIP: name" or "--- FAIL: name".
type Status struct {
	Pkg    string
	Name   string // without the -GOMAXPROCS suffix
	State  string // "skipped" or "failed"
	Reason string // first log line next to the status line (go test -v prints it before, plain go test after); may be ""
}

// A Set is everything read from one or more go test outputs.
type Set struct {
	Results  []Result
	Statuses []Status
	CPUs     []string // distinct "cpu:" header values, in order of appearance
	Platform []string // distinct "goos/goarch" from the goos:/goarch: headers
}

// Merge appends o to s (results of several files).
func (s *Set) Merge(o Set) {
	s.Results = append(s.Results, o.Results...)
	s.Statuses = append(s.Statuses, o.Statuses...)
	for _, c := range o.CPUs {
		s.CPUs = addUnique(s.CPUs, c)
	}
	for _, p := range o.Platform {
		s.Platform = addUnique(s.Platform, p)
	}
}

// Procs lists the distinct GOMAXPROCS values of the results, ascending.
func (s Set) Procs() []int {
	var ps []int
	for _, r := range s.Results {
		if r.Procs != 0 && !slices.Contains(ps, r.Procs) { // 0: unknown (a carried-over result)
			ps = append(ps, r.Procs)
		}
	}
	slices.Sort(ps)
	return ps
}

func addUnique(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// logLine matches what t.Log/b.Skip print: an indented "file.go:12: message".
var logLine = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)

// Parse reads go test output: header lines (goos:, goarch:, pkg:, cpu:), benchmark lines, --- SKIP/FAIL
// lines, and anything else (PASS, ok, logs), which it ignores. A benchmark whose code writes to stdout
// splits its line in two ("BenchmarkX-2   <log>" ... "       1   123 ns/op"); Parse joins them.
// It fails only when r fails.
func Parse(r io.Reader) (Set, error) {
	p := parser{}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			p.line(strings.TrimRight(line, "\r\n"))
		}
		if errors.Is(err, io.EOF) {
			return p.set, nil
		}
		if err != nil {
			return p.set, fmt.Errorf("read benchmark output: %w", err)
		}
	}
}

type parser struct {
	set          Set
	pkg          string
	goos, goarch string
	pending      string // benchmark name whose numbers have not been printed yet
	pendingProcs int
	logs         []string // log messages of the lines just before this one
	await        int      // index+1 of a status waiting for its reason on the next log line
	afterStatus  bool     // the log lines being read follow a "--- " line, so they belong to it
}

func (p *parser) line(line string) {
	if m := logLine.FindStringSubmatch(line); m != nil {
		msg := strings.TrimSpace(m[1])
		switch {
		case p.await > 0:
			p.set.Statuses[p.await-1].Reason = msg
			p.await = 0
		case !p.afterStatus:
			p.logs = append(p.logs, msg)
		}
		return
	}
	logs := p.logs
	p.logs, p.await, p.afterStatus = nil, 0, false

	if k, v, ok := header(line); ok {
		switch k {
		case "goos":
			p.goos = v
		case "goarch":
			p.goarch = v
		case "pkg":
			p.pkg = v
		case "cpu":
			p.set.CPUs = addUnique(p.set.CPUs, v)
		}
		if k == "goos" || k == "goarch" {
			if p.goos != "" && p.goarch != "" {
				p.set.Platform = addUnique(p.set.Platform, p.goos+"/"+p.goarch)
			}
		}
		p.pending = ""
		return
	}
	if state, name, ok := status(line); ok {
		st := Status{Pkg: p.pkg, Name: name, State: state}
		if len(logs) > 0 {
			st.Reason = logs[0]
		}
		p.set.Statuses = append(p.set.Statuses, st)
		if st.Reason == "" {
			p.await = len(p.set.Statuses)
		}
		p.pending, p.afterStatus = "", true
		return
	}
	if strings.HasPrefix(strings.TrimLeft(line, " "), "--- ") {
		p.pending, p.afterStatus = "", true // "--- BENCH: name" and its log lines
		return
	}
	if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "FAIL\t") || strings.HasPrefix(line, "?   ") {
		p.pkg, p.pending = "", "" // the summary line closes a package's output
		return
	}

	fields := strings.Fields(line)
	if len(fields) == 0 {
		return
	}
	if isBenchName(fields[0]) {
		name, procs := splitProcs(fields[0])
		if iters, metrics, ok := numbers(fields[1:]); ok {
			p.add(name, procs, iters, metrics)
			p.pending = ""
			return
		}
		// The name went out before the benchmark ran; its numbers follow on a later line.
		p.pending, p.pendingProcs = name, procs
		return
	}
	if p.pending != "" {
		if iters, metrics, ok := numbers(fields); ok {
			p.add(p.pending, p.pendingProcs, iters, metrics)
			p.pending = ""
		}
	}
}

func (p *parser) add(name string, procs int, iters int64, metrics []Metric) {
	p.set.Results = append(p.set.Results, Result{Pkg: p.pkg, Name: name, Procs: procs, Iters: iters, Metrics: metrics})
}

// header splits "goos: linux" style lines.
func header(line string) (key, value string, ok bool) {
	k, v, found := strings.Cut(line, ":")
	switch k {
	case "goos", "goarch", "pkg", "cpu":
		return k, strings.TrimSpace(v), found
	}
	return "", "", false
}

// status reads "--- SKIP: BenchmarkX/op=create-2" and "--- FAIL: ...".
func status(line string) (state, name string, ok bool) {
	for prefix, st := range map[string]string{"--- SKIP: ": "skipped", "--- FAIL: ": "failed"} {
		rest, found := strings.CutPrefix(strings.TrimLeft(line, " "), prefix)
		if !found {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 || !isBenchName(f[0]) {
			return "", "", false
		}
		name, _ := splitProcs(f[0])
		return st, name, true
	}
	return "", "", false
}

// isBenchName reports whether s names a benchmark: "Benchmark" not followed by a lower-case letter,
// as go test requires of benchmark functions.
func isBenchName(s string) bool {
	rest, ok := strings.CutPrefix(s, "Benchmark")
	if !ok {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !unicode.IsLower(r)
}

// splitProcs strips the -GOMAXPROCS suffix go test adds when GOMAXPROCS is not 1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name, 1
	}
	digits := name[i+1:]
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return name, 1
	}
	procs, err := strconv.Atoi(digits)
	if err != nil || procs < 1 || !isBenchName(name[:i]) {
		return name, 1
	}
	return name[:i], procs
}

// numbers reads "iterations value unit value unit ...", at least one pair.
func numbers(fields []string) (int64, []Metric, bool) {
	if len(fields) < 3 || len(fields)%2 == 0 {
		return 0, nil, false
	}
	iters, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || iters < 1 {
		return 0, nil, false
	}
	metrics := make([]Metric, 0, len(fields)/2)
	for i := 1; i < len(fields); i += 2 {
		v, err := parseFloat(fields[i])
		if err != nil {
			return 0, nil, false
		}
		metrics = append(metrics, Metric{Unit: fields[i+1], Value: v, Text: fields[i]})
	}
	return iters, metrics, true
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
