package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBenchCmdRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    int
		wantErr string
	}{
		{name: "no command", want: exitUsage, wantErr: "usage: platform bench"},
		{name: "an unknown command", args: []string{"all"}, want: exitUsage, wantErr: `unknown command "all"`},
		{name: "run: BENCH_STACK", args: []string{"run"}, env: map[string]string{"BENCH_STACK": "1`touch x`"}, want: exitUsage,
			wantErr: "BENCH_STACK=\"1`touch x`\": expected 1"},
		{name: "run: BENCH_COLDSTARTS", args: []string{"run"}, env: map[string]string{"BENCH_COLDSTARTS": "20; rm -rf /"}, want: exitUsage,
			wantErr: `BENCH_COLDSTARTS="20; rm -rf /": expected a whole number`},
		{name: "run: LOCALRUN_PORT for the stack's health", args: []string{"run"}, env: map[string]string{"LOCALRUN_PORT": "4567\n"}, want: exitUsage,
			wantErr: `LOCALRUN_PORT="4567\n": expected a port number`},
		{name: "peers: BENCH_OUT", args: []string{"peers"}, env: map[string]string{"BENCH_OUT": "go.mod"}, want: exitUsage,
			wantErr: `BENCH_OUT="go.mod": expected the path of a .md document`},
		{name: "fuzz: FUZZTIME", args: []string{"fuzz"}, env: map[string]string{"FUZZTIME": "$(id)"}, want: exitUsage,
			wantErr: `FUZZTIME="$(id)": expected a duration`},
		{name: "fuzz: -fuzztime wins over FUZZTIME", args: []string{"fuzz", "-fuzztime", "forever"}, env: map[string]string{"FUZZTIME": "10s"},
			want: exitUsage, wantErr: `FUZZTIME="forever"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := benchCmd(context.Background(), tc.args, Env{Getenv: func(k string) string { return tc.env[k] }, Stdout: &stdout, Stderr: &stderr})
			assert.Equal(t, tc.want, code)
			assert.Contains(t, stderr.String(), tc.wantErr)
		})
	}
}

func TestStackHealthURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ port, want, wantErr string }{
		{port: "", want: "http://127.0.0.1:4567/_local/health"},
		{port: "4577", want: "http://127.0.0.1:4577/_local/health"},
		{port: "04577", wantErr: "expected a port number"},
		{port: "0", wantErr: "expected a port number"},
		{port: "4567/../x", wantErr: `LOCALRUN_PORT="4567/../x"`},
	} {
		t.Run(tc.port, func(t *testing.T) {
			t.Parallel()
			got, err := stackHealthURL(tc.port)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
