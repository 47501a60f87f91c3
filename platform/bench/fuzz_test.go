package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/proc"
)

func TestParseFuzzTime(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, wantErr string }{
		{in: "", want: DefaultFuzzTime},
		{in: "30s", want: "30s"},
		{in: "1m30s", want: "1m30s"},
		{in: "1000x", want: "1000x"},
		{in: "0s", wantErr: `FUZZTIME="0s": expected a duration`},
		{in: "0x", wantErr: "expected a duration"},
		{in: "10s;touch x", wantErr: `FUZZTIME="10s;touch x"`},
		{in: "$(touch x)", wantErr: "or a number of inputs such as 1000x"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFuzzTime(tc.in)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

const fuzzFile = `package p

import "testing"

func FuzzParse(f *testing.F) { f.Fuzz(func(t *testing.T, s string) {}) }

func FuzzHelper(t *testing.T) {}

func FuzzTwo(f *testing.F, extra int) {}

type x struct{}

func (x) FuzzMethod(f *testing.F) {}

func TestParse(t *testing.T) {}

func FuzzOther(g *testing.F) {}
`

func TestFuzzFuncs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p_test.go")
	require.NoError(t, os.WriteFile(path, []byte(fuzzFile), 0o644))
	names, err := fuzzFuncs(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"FuzzParse", "FuzzOther"}, names, "top-level Fuzz functions taking *testing.F only")

	bad := filepath.Join(t.TempDir(), "bad_test.go")
	require.NoError(t, os.WriteFile(bad, []byte("package p\nfunc {"), 0o644))
	_, err = fuzzFuncs(bad)
	assert.ErrorContains(t, err, "parse "+bad)
}

func TestFuzzRunsEachTargetAndNamesFailures(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	file := filepath.Join(root, "p_test.go")
	require.NoError(t, os.WriteFile(file, []byte(fuzzFile), 0o644))
	var calls []string
	run := func(_ context.Context, c proc.Cmd) error {
		rel, _ := filepath.Rel(root, c.Dir)
		calls = append(calls, rel+": "+strings.Join(c.Args, " "))
		if c.Args[0] == "list" {
			_, _ = io.WriteString(c.Stdout, "example.com/p "+file+"\nexample.com/q\n")
			return nil
		}
		if strings.Contains(strings.Join(c.Args, " "), "^FuzzOther$") && rel == "platform" {
			return &proc.ExitError{Cmd: "go test", Code: 1}
		}
		return nil
	}
	var out bytes.Buffer
	f := Fuzzer{Root: root, Modules: []string{".", "platform"}, Go: "go", Time: "3s", Runner: proc.RunFunc(run), Stdout: &out, Stderr: &out}
	err := f.Fuzz(context.Background())
	assert.ErrorContains(t, err, "fuzz targets failed: example.com/p FuzzOther")
	list := `list -f {{.ImportPath}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}} ./...`
	assert.Equal(t, []string{
		".: " + list,
		"platform: " + list,
		".: test -run ^$ -fuzz ^FuzzParse$ -fuzztime 3s -fuzzminimizetime 5s example.com/p",
		".: test -run ^$ -fuzz ^FuzzOther$ -fuzztime 3s -fuzzminimizetime 5s example.com/p",
		"platform: test -run ^$ -fuzz ^FuzzParse$ -fuzztime 3s -fuzzminimizetime 5s example.com/p",
		"platform: test -run ^$ -fuzz ^FuzzOther$ -fuzztime 3s -fuzzminimizetime 5s example.com/p",
	}, calls)
	assert.Contains(t, out.String(), "fuzz: 4 targets, 3s each")
}

// TestFuzzWithGo finds and runs the fuzz targets of a real module: a failing seed fails the run.
func TestFuzzWithGo(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.26\n",
		"p/p.go": "package p\n\nfunc Ok(s string) bool { return s != \"boom\" }\n",
		"p/p_test.go": "package p\n\nimport \"testing\"\n\n" +
			"func FuzzFine(f *testing.F) { f.Add(\"a\"); f.Fuzz(func(t *testing.T, s string) { _ = Ok(s) }) }\n\n" +
			"func FuzzBoom(f *testing.F) {\n\tf.Add(\"boom\")\n\tf.Fuzz(func(t *testing.T, s string) {\n" +
			"\t\tif !Ok(s) {\n\t\t\tt.Fatal(\"boom\")\n\t\t}\n\t})\n}\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	var out bytes.Buffer
	f := Fuzzer{Root: root, Modules: []string{"."}, Go: goBin, Time: "1x", Runner: proc.Exec{}, Stdout: &out, Stderr: &out}
	targets, err := f.Targets(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []FuzzTarget{{".", "example.com/m/p", "FuzzFine"}, {".", "example.com/m/p", "FuzzBoom"}}, targets)
	err = f.Fuzz(context.Background())
	assert.ErrorContains(t, err, "fuzz targets failed: example.com/m/p FuzzBoom", out.String())
	assert.NotContains(t, err.Error(), "FuzzFine")
}
