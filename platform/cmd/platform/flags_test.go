package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSubcommand(t *testing.T) {
	t.Parallel()
	const usage = "usage: platform g a|b\n"
	tests := []struct {
		name             string
		args             []string
		wantCmd          string
		wantRest         []string
		wantCode         int
		wantOut, wantErr string
	}{
		{name: "a command and its flags", args: []string{"b", "-x", "1"}, wantCmd: "b", wantRest: []string{"-x", "1"}},
		{name: "help on stdout", args: []string{"help"}, wantOut: usage},
		{name: "-h on stdout", args: []string{"-h", "a"}, wantOut: usage},
		{name: "no command: usage on stderr", wantCode: exitUsage, wantErr: usage},
		{name: "an unknown command is named", args: []string{"c;id"}, wantCode: exitUsage, wantErr: "platform g: unknown command \"c;id\"\n" + usage},
		{name: "a flag is no command", args: []string{"-x", "a"}, wantCode: exitUsage, wantErr: "platform g: unknown command \"-x\"\n" + usage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			cmd, rest, code := subcommand("g", usage, []string{"a", "b"}, tc.args, Env{Stdout: &stdout, Stderr: &stderr})
			assert.Equal(t, tc.wantCmd, cmd)
			assert.Equal(t, tc.wantRest, rest)
			assert.Equal(t, tc.wantCode, code)
			assert.Equal(t, tc.wantOut, stdout.String())
			assert.Equal(t, tc.wantErr, stderr.String())
		})
	}
}

// Every group answers help alike: its usage on stdout, status 0; and refuses an unknown command with
// status 2 before anything runs.
func TestGroupsHelpAndUnknownCommands(t *testing.T) {
	t.Parallel()
	for _, g := range groups() {
		if g.name == "localrun" || g.name == "build" || g.name == "deps" || g.name == "cost" {
			continue // one command each: flags only
		}
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			env := Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr}
			assert.Equal(t, exitOK, run(context.Background(), []string{g.name, "help"}, env))
			assert.Contains(t, stdout.String(), "usage: platform "+g.name+" ")
			assert.Empty(t, stderr.String())

			stdout.Reset()
			assert.Equal(t, exitUsage, run(context.Background(), []string{g.name, "nope"}, env))
			assert.Contains(t, stderr.String(), "platform "+g.name+": unknown command \"nope\"\nusage: platform "+g.name+" ")
			assert.Empty(t, stdout.String())
		})
	}
}

func TestSettingsFlagsOverTheEnvironment(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := Env{Getenv: vars{"TAG": "from-env", "ARCH": "amd64"}.get, Stdout: &bytes.Buffer{}, Stderr: &stderr}
	fs, s := newSettings("g c", "usage: platform g c\n", env)
	s.add("tag", "TAG", "the tag")
	s.add("arch", "ARCH", "the arch")
	code, done := parseFlags(fs, []string{"-tag", "from-flag"}, env)
	assert.False(t, done)
	assert.Equal(t, exitOK, code)
	get := s.getenv()
	assert.Equal(t, "from-flag", get("TAG"))
	assert.Equal(t, "amd64", get("ARCH"))
	assert.Empty(t, get("OTHER"))

	fs, _ = newSettings("g c", "usage: platform g c\n", env)
	code, done = parseFlags(fs, []string{"stray"}, env)
	assert.True(t, done)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), "platform g c: unexpected argument \"stray\"\nusage: platform g c\n")
}

type vars map[string]string

func (v vars) get(k string) string { return v[k] }
