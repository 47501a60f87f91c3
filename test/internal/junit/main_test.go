//go:build e2e

package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The testdata streams are real `go test -json` output: mixed.jsonl of a package with a passing test, a
// test with a passing and a failing subtest, and a skipped test; build-failed.jsonl of a package that
// does not compile.

func readStream(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stream func(t *testing.T) []byte
		check  func(t *testing.T, rep xmlSuites, echoed string)
	}{
		{
			name:   "pass, fail, subtests and skip",
			stream: func(t *testing.T) []byte { return readStream(t, "mixed.jsonl") },
			check: func(t *testing.T, rep xmlSuites, echoed string) {
				require.Len(t, rep.Suites, 1)
				s := rep.Suites[0]
				assert.Equal(t, "example.com/jfix", s.Name)
				assert.Equal(t, 5, s.Tests, "TestPass, TestFail, TestFail/ok, TestFail/broken, TestSkip")
				assert.Equal(t, 2, s.Failures, "TestFail and TestFail/broken")
				assert.Equal(t, 1, s.Skipped)
				byName := map[string]xmlCase{}
				for _, c := range s.Cases {
					byName[c.Name] = c
					assert.Equal(t, "example.com/jfix", c.Classname)
				}
				assert.Nil(t, byName["TestPass"].Failure)
				assert.Contains(t, byName["TestPass"].SystemOut, "all good")
				require.NotNil(t, byName["TestFail/broken"].Failure)
				assert.Contains(t, byName["TestFail/broken"].Failure.Body, "want 1, got 2 <&>")
				assert.Nil(t, byName["TestFail/ok"].Failure)
				require.NotNil(t, byName["TestSkip"].Skipped)
				assert.Equal(t, "fix_test.go:12: needs the local stack", byName["TestSkip"].Skipped.Message)
				assert.Contains(t, echoed, "--- FAIL: TestFail/broken", "the test output is echoed as go test -v prints it")
				assert.Contains(t, echoed, "FAIL\texample.com/jfix\t", "the closing line is echoed")
			},
		},
		{
			name:   "a build failure is a failed package with the compiler's message",
			stream: func(t *testing.T) []byte { return readStream(t, "build-failed.jsonl") },
			check: func(t *testing.T, rep xmlSuites, echoed string) {
				require.Len(t, rep.Suites, 1)
				s := rep.Suites[0]
				assert.Equal(t, 1, s.Failures)
				require.Len(t, s.Cases, 1)
				require.NotNil(t, s.Cases[0].Failure)
				assert.Contains(t, s.Cases[0].Failure.Body, "undefined: undefined")
				assert.Contains(t, echoed, "undefined: undefined")
			},
		},
		{
			name: "a test that never finished (killed binary) is a failure",
			stream: func(t *testing.T) []byte {
				b := readStream(t, "mixed.jsonl")
				cut := bytes.Index(b, []byte(`"Action":"skip"`))
				require.Positive(t, cut)
				return b[:bytes.LastIndexByte(b[:cut], '\n')+1]
			},
			check: func(t *testing.T, rep xmlSuites, _ string) {
				var skip *xmlCase
				for i, c := range rep.Suites[0].Cases {
					if c.Name == "TestSkip" {
						skip = &rep.Suites[0].Cases[i]
					}
				}
				require.NotNil(t, skip)
				require.NotNil(t, skip.Failure)
				assert.Contains(t, skip.Failure.Message, "did not finish")
				assert.Equal(t, 3, rep.Failures)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var echo strings.Builder
			rep, err := run(bytes.NewReader(tc.stream(t)), &echo)
			require.NoError(t, err)
			tc.check(t, rep, echo.String())
			b, err := xml.Marshal(rep)
			require.NoError(t, err)
			var back xmlSuites
			require.NoError(t, xml.Unmarshal(b, &back), "the report is well-formed XML")
			assert.Equal(t, rep.Tests, back.Tests)
		})
	}
}
