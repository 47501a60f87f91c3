package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const costBenchDoc = "# Benchmarks\n\n## All results\n\nEvery line.\n\n| Package | Benchmark | Iterations | Metrics |\n|---|---|---|---|\n" +
	"| internal/crawler | BenchmarkCrawlAWSCalls/N=10000 | 1 | 1 ns/op, 10000 DynamoDB-write-calls, 51.00 PutMetricData-calls, 200.0 alarm-API-calls, 50004 datums |\n" +
	"| internal/crawler | BenchmarkScheduleAWSLatency/N=1000/C=50 | 1 | 1 ns/op, 2000 ideal-ms, 2121 wall-ms |\n" +
	"| internal/crawler | BenchmarkCrawlInterval/N=20000/run=one-invocation | 1 | 1 ns/op, 17459 judged, 256.0 slots, 49.32 wall-s |\n"

func TestCost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "benchmarks.md"), filepath.Join(dir, "cost.md")
	require.NoError(t, os.WriteFile(in, []byte(costBenchDoc), 0o600))
	var stdout, stderr bytes.Buffer
	env := Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr}

	require.Equal(t, exitOK, costCmd(t.Context(), []string{"-bench", in, "-out", out}, env), stderr.String())
	doc, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(doc), "## Every minute\n")
	assert.Contains(t, string(doc), "| Targets one invocation judges per minute (same run) | 17459 |")
	assert.Contains(t, stdout.String(), "wrote "+out)

	t.Run("a document without the measured calls", func(t *testing.T) {
		t.Parallel()
		bad := filepath.Join(t.TempDir(), "benchmarks.md")
		require.NoError(t, os.WriteFile(bad, []byte("# Benchmarks\n"), 0o600))
		var stderr bytes.Buffer
		code := costCmd(t.Context(), []string{"-bench", bad, "-out", filepath.Join(t.TempDir(), "cost.md")}, Env{Getenv: os.Getenv, Stdout: &bytes.Buffer{}, Stderr: &stderr})
		assert.Equal(t, exitFail, code)
		assert.Contains(t, stderr.String(), "BenchmarkCrawlAWSCalls")
	})
	t.Run("an argument", func(t *testing.T) {
		t.Parallel()
		assert.Equal(t, exitUsage, costCmd(t.Context(), []string{"extra"}, Env{Getenv: os.Getenv, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}))
	})
}
