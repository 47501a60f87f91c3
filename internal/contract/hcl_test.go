package contract_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A small reader of what the tests compare in terraform-fmt'ed files: the defaults of variables and
// of the optional attributes of their object types. It reads line by line and understands strings,
// comments and heredocs well enough to count braces; it fails on a variables file it cannot follow
// rather than report nothing.

var (
	variableStart = regexp.MustCompile(`^variable\s+"([A-Za-z0-9_-]+)"\s*\{$`)
	// attr = optional(string|number|bool, <value>)
	optionalScalar = regexp.MustCompile(`^([A-Za-z0-9_-]+)\s*=\s*optional\(\s*(?:string|number|bool)\s*,\s*(.+)\)$`)
	// attr = object({   or   attr = optional(object({
	objectStart = regexp.MustCompile(`^([A-Za-z0-9_-]+)\s*=\s*(?:optional\(\s*)?object\(\{$`)
	// default = <value>
	defaultAttr = regexp.MustCompile(`^default\s*=\s*(.+)$`)
	// one-line object: { a = 1, b = "x" }
	oneLineObject = regexp.MustCompile(`^\{(.*)\}$`)
	heredocStart  = regexp.MustCompile(`<<-?([A-Za-z_][A-Za-z0-9_]*)$`)
	quoted        = regexp.MustCompile(`^"(?:[^"\\]|\\.)*"$`)
)

// readVariableDefaults returns the defaults of a variables file by path: "name" for a variable's
// scalar default, "name.attr" for an attribute of its one-line object default, and "name.attr[.attr]"
// for `attr = optional(<scalar type>, <value>)` inside its (nested) object type. Values are as written
// (strings unquoted).
func readVariableDefaults(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path) // #nosec G304 -- a file of this repository, named by the test
	require.NoError(t, err)
	defer f.Close()
	out, err := parseVariableDefaults(bufio.NewScanner(f))
	require.NoError(t, err, path)
	return out
}

func parseVariableDefaults(sc *bufio.Scanner) (map[string]string, error) {
	type open struct {
		name  string
		depth int // brace depth inside it
	}
	out := map[string]string{}
	var stack []open // the variable, then the object attributes we are inside
	depth, heredoc := 0, ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if heredoc != "" {
			if line == heredoc {
				heredoc = ""
			}
			continue
		}
		if m := heredocStart.FindStringSubmatch(line); m != nil {
			heredoc = m[1]
		}
		code, err := stripComment(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if code == "" {
			continue
		}
		name := func(attr ...string) string {
			parts := make([]string, 0, len(stack)+len(attr))
			for _, o := range stack {
				parts = append(parts, o.name)
			}
			return strings.Join(append(parts, attr...), ".")
		}
		if len(stack) == 0 {
			if m := variableStart.FindStringSubmatch(code); m != nil {
				stack = append(stack, open{name: m[1], depth: depth + 1})
			}
		} else if m := optionalScalar.FindStringSubmatch(code); m != nil {
			out[name(m[1])] = unquote(m[2])
		} else if m := objectStart.FindStringSubmatch(code); m != nil && m[1] != "type" {
			stack = append(stack, open{name: m[1], depth: depth + braces(code)})
		} else if m := defaultAttr.FindStringSubmatch(code); m != nil && len(stack) == 1 && depth == stack[0].depth {
			if om := oneLineObject.FindStringSubmatch(m[1]); om != nil {
				for field := range strings.SplitSeq(om[1], ",") {
					if k, v, ok := strings.Cut(field, "="); ok {
						out[name(strings.TrimSpace(k))] = unquote(v)
					}
				}
			} else if quoted.MatchString(m[1]) || !strings.ContainsAny(m[1], "{[(") {
				out[name()] = unquote(m[1])
			}
		}
		depth += braces(code)
		if depth < 0 {
			return nil, fmt.Errorf("line %d: unbalanced braces", n)
		}
		for len(stack) > 0 && depth < stack[len(stack)-1].depth {
			stack = stack[:len(stack)-1]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if depth != 0 || heredoc != "" {
		return nil, fmt.Errorf("unbalanced braces or an unterminated heredoc at the end of the file")
	}
	return out, nil
}

// stripComment removes a trailing # or // comment outside strings; an unterminated string is an error.
func stripComment(line string) (string, error) {
	inString := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '#' || (c == '/' && i+1 < len(line) && line[i+1] == '/')):
			return strings.TrimSpace(line[:i]), nil
		}
	}
	if inString {
		return "", fmt.Errorf("unterminated string in %q", line)
	}
	return line, nil
}

// braces is the change of brace depth a line makes, braces inside strings not counted.
func braces(code string) int {
	d, inString := 0, false
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == '{':
			d++
		case !inString && c == '}':
			d--
		}
	}
	return d
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func TestParseVariableDefaults(t *testing.T) {
	t.Parallel()
	const src = `
variable "plain" {
  description = "A { brace in a string # and a hash"
  type        = number
  default     = 16 # a comment
}

variable "schedule" {
  type    = string
  default = "rate(5 minutes)"
}

variable "grouped" {
  description = <<-EOT
    A heredoc with } braces {
  EOT
  type = object({
    margin = optional(string, "5s")
    probe = optional(object({
      max_body_bytes = optional(number, 1048576)
      retry_delay    = optional(string, "500ms")
    }), {})
    after = optional(bool, true)
  })
  default = {}

  validation {
    condition     = var.grouped.margin != "" && length({ default = 3 }) > 0
    error_message = "margin must not be empty."
  }
}

variable "inline" {
  type    = object({ rate_limit = number, burst_limit = number })
  default = { rate_limit = 50, burst_limit = 100 }
}

variable "nothing" {
  type = string
}
`
	got, err := parseVariableDefaults(bufio.NewScanner(strings.NewReader(src)))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"plain":                        "16",
		"schedule":                     "rate(5 minutes)",
		"grouped.margin":               "5s",
		"grouped.probe.max_body_bytes": "1048576",
		"grouped.probe.retry_delay":    "500ms",
		"grouped.after":                "true",
		"inline.rate_limit":            "50",
		"inline.burst_limit":           "100",
	}, got)

	_, err = parseVariableDefaults(bufio.NewScanner(strings.NewReader("variable \"x\" {\n  default = 1\n")))
	assert.Error(t, err, "an unclosed block is reported, not read as nothing")
	_, err = parseVariableDefaults(bufio.NewScanner(strings.NewReader("variable \"x\" {\n  default = \"open\n}\n")))
	assert.Error(t, err, "an unterminated string is reported")
}
