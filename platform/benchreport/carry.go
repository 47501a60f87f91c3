package benchreport

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// allResultsHeading and allResultsHeader open the All results table Render writes.
const (
	allResultsHeading = "## All results"
	allResultsHeader  = "| Package | Benchmark | Iterations | Metrics |"
)

// CarriedResults reads back the All results table of a document Render wrote, so that a run of
// some benchmarks only (make bench-peers) keeps the others' results. pkgPrefix is the prefix the
// document dropped (Doc.TrimPkg). What the table does not show is not restored: Procs is 0, and
// skipped or failed benchmarks have no row. A document without the table carries nothing.
func CarriedResults(doc []byte, pkgPrefix string) ([]Result, error) {
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var out []Result
	state := 0 // 0: before the heading, 1: before the header, 2: in the table
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case state == 0 && line == allResultsHeading:
			state = 1
		case state == 1 && line == allResultsHeader:
			state = 2
		case state == 2 && strings.HasPrefix(line, "|---"):
		case state == 2 && strings.HasPrefix(line, "|"):
			r, err := resultRow(line, pkgPrefix)
			if err != nil {
				return nil, fmt.Errorf("the all results table, line %d: %w", n, err)
			}
			out = append(out, r)
		case state == 2:
			return out, nil
		}
	}
	return out, sc.Err()
}

// resultRow parses "| pkg | name | iterations | 1.5 unit, 2 unit |".
func resultRow(line, pkgPrefix string) (Result, error) {
	cells := splitCells(line)
	if len(cells) != 4 {
		return Result{}, fmt.Errorf("%d cells, want 4: %q", len(cells), line)
	}
	r := Result{Name: cells[1]}
	if cells[0] != "" {
		r.Pkg = pkgPrefix + cells[0]
	}
	if !isBenchName(r.Name) {
		return Result{}, fmt.Errorf("not a benchmark name: %q", r.Name)
	}
	iters, err := strconv.ParseInt(cells[2], 10, 64)
	if err != nil {
		return Result{}, fmt.Errorf("iterations %q: %w", cells[2], err)
	}
	r.Iters = iters
	for m := range strings.SplitSeq(cells[3], ", ") {
		text, unit, ok := strings.Cut(m, " ")
		v, err := parseFloat(text)
		if !ok || unit == "" || err != nil {
			return Result{}, fmt.Errorf("metric %q: want <value> <unit>", m)
		}
		r.Metrics = append(r.Metrics, Metric{Unit: unit, Value: v, Text: text})
	}
	return r, nil
}

// splitCells splits a table row at its unescaped bars and undoes cell's escaping.
func splitCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '|':
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	cells = append(cells, cur.String())
	for i, c := range cells {
		cells[i] = strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(strings.TrimSpace(c))
	}
	return cells
}
