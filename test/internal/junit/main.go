//go:build e2e

// Command junit turns the event stream of `go test -json` (standard input) into a JUnit XML report, and
// echoes the tests' own output to standard output as it arrives, so a terminal still reads like
// `go test -v`. It exits 0 whatever the tests did: the caller takes go test's exit status (make's
// pipefail). Used by `make e2e`; a small stand-in for go-junit-report, without a dependency.
//
//	go test -json ./... | go run -tags e2e ./test/internal/junit -o reports/e2e.xml
package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time    time.Time `json:"Time"`
	Action  string    `json:"Action"`
	Package string    `json:"Package"`
	Test    string    `json:"Test"`
	Elapsed float64   `json:"Elapsed"`
	Output  string    `json:"Output"`
	// ImportPath names the package of build-output events ("pkg [pkg.test]"), which have no Package.
	ImportPath string `json:"ImportPath"`
}

type testCase struct {
	name    string
	result  string // pass, fail, skip; empty while running
	elapsed float64
	output  strings.Builder
}

type pkgResult struct {
	name    string
	result  string
	elapsed float64
	output  strings.Builder // package-level output (build errors, panics outside a test, "FAIL" lines)
	tests   map[string]*testCase
	order   []string
}

// collector accumulates the events of every package.
type collector struct {
	pkgs  map[string]*pkgResult
	order []string
}

func newCollector() *collector { return &collector{pkgs: map[string]*pkgResult{}} }

func (c *collector) pkg(name string) *pkgResult {
	p, ok := c.pkgs[name]
	if !ok {
		p = &pkgResult{name: name, tests: map[string]*testCase{}}
		c.pkgs[name] = p
		c.order = append(c.order, name)
	}
	return p
}

func (c *collector) add(e event) {
	if e.Package == "" && e.ImportPath != "" {
		e.Package = strings.Fields(e.ImportPath)[0]
	}
	if e.Package == "" {
		return
	}
	p := c.pkg(e.Package)
	if e.Test == "" {
		switch e.Action {
		case "output", "build-output":
			p.output.WriteString(e.Output)
		case "pass", "fail", "skip":
			p.result, p.elapsed = e.Action, e.Elapsed
		}
		return
	}
	tc, ok := p.tests[e.Test]
	if !ok {
		tc = &testCase{name: e.Test}
		p.tests[e.Test] = tc
		p.order = append(p.order, e.Test)
	}
	switch e.Action {
	case "output":
		tc.output.WriteString(e.Output)
	case "pass", "fail", "skip":
		tc.result, tc.elapsed = e.Action, e.Elapsed
	}
}

// JUnit XML, the subset CI systems read.
type xmlSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []xmlSuite `xml:"testsuite"`
}

type xmlSuite struct {
	Name      string    `xml:"name,attr"`
	Tests     int       `xml:"tests,attr"`
	Failures  int       `xml:"failures,attr"`
	Skipped   int       `xml:"skipped,attr"`
	Time      string    `xml:"time,attr"`
	Timestamp string    `xml:"timestamp,attr,omitempty"`
	Cases     []xmlCase `xml:"testcase"`
	SystemOut string    `xml:"system-out,omitempty"`
}

type xmlCase struct {
	Name      string      `xml:"name,attr"`
	Classname string      `xml:"classname,attr"`
	Time      string      `xml:"time,attr"`
	Failure   *xmlMessage `xml:"failure,omitempty"`
	Skipped   *xmlMessage `xml:"skipped,omitempty"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type xmlMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// report builds the JUnit document. A test that never finished (the binary panicked or timed out) is a
// failure; so is a package that failed without a failing test (a build error, a panic in TestMain).
func (c *collector) report() xmlSuites {
	var out xmlSuites
	var total float64
	for _, name := range c.order {
		p := c.pkgs[name]
		s := xmlSuite{Name: name, Time: seconds(p.elapsed)}
		failedTests := 0
		for _, tn := range p.order { // the run order
			tc := p.tests[tn]
			xc := xmlCase{Name: tc.name, Classname: name, Time: seconds(tc.elapsed)}
			switch tc.result {
			case "fail":
				xc.Failure = &xmlMessage{Message: "failed", Body: tc.output.String()}
				failedTests++
			case "skip":
				xc.Skipped = &xmlMessage{Message: skipReason(tc.output.String()), Body: tc.output.String()}
				s.Skipped++
			case "pass":
				xc.SystemOut = tc.output.String()
			default:
				xc.Failure = &xmlMessage{Message: "did not finish (panic or timeout)", Body: tc.output.String()}
				failedTests++
			}
			s.Cases = append(s.Cases, xc)
		}
		if p.result == "fail" && failedTests == 0 {
			s.Cases = append(s.Cases, xmlCase{Name: "(package)", Classname: name, Time: seconds(p.elapsed),
				Failure: &xmlMessage{Message: "package failed", Body: p.output.String()}})
			failedTests++
		}
		s.Tests, s.Failures = len(s.Cases), failedTests
		s.SystemOut = p.output.String()
		out.Suites = append(out.Suites, s)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		total += p.elapsed
	}
	out.Time = seconds(total)
	return out
}

// skipReason is the last line a skipped test logged before "--- SKIP".
func skipReason(output string) string {
	lines := strings.Split(strings.TrimSpace(output), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "--- SKIP") && !strings.HasPrefix(l, "=== ") {
			return l
		}
	}
	return "skipped"
}

// run reads the event stream from r, echoes output to echo and returns the report. Lines that are not
// JSON events (go vet or linker messages printed by the go command) are echoed unchanged.
func run(r io.Reader, echo io.Writer) (xmlSuites, error) {
	c := newCollector()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(echo, "%s\n", line)
			continue
		}
		if e.Action == "output" || e.Action == "build-output" {
			io.WriteString(echo, e.Output)
		}
		c.add(e)
	}
	if err := sc.Err(); err != nil {
		return xmlSuites{}, fmt.Errorf("read the go test -json stream: %w", err)
	}
	return c.report(), nil
}

func main() {
	outPath := flag.String("o", "reports/junit.xml", "JUnit XML file to write")
	flag.Parse()
	rep, err := run(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "junit:", err)
		os.Exit(1)
	}
	b, err := xml.MarshalIndent(rep, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "junit: encode:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Dir(*outPath), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "junit:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*outPath, append([]byte(xml.Header), append(b, '\n')...), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "junit:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "junit: %d tests, %d failed, %d skipped -> %s\n", rep.Tests, rep.Failures, rep.Skipped, *outPath)
}
