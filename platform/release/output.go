package release

import (
	"fmt"
	"strings"
)

// Output formats of `platform release env`.
const (
	FormatEnv  = "env"
	FormatJSON = "json"
)

// EnvLines renders s as KEY=value lines, unquoted: every value is checked to consist of letters,
// digits and . _ - + / only (Parse guarantees it; the check guards changes), so the lines read the
// same in a shell, a Makefile or a CI log.
func (s Settings) EnvLines() (string, error) {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"RELEASE_ENV", s.Environment},
		{"RELEASE_REGION", s.Region},
		{"RELEASE_TEAM", s.Team},
		{"RELEASE_VERSION", s.Version},
		{"STATE_BUCKET", s.StateBucket},
		{"STATE_KEY", s.StateKey},
		{"LOCK_TABLE", s.LockTable},
	} {
		if kv[1] == "" || strings.IndexFunc(kv[1], func(r rune) bool { return !allowedRune(r) }) >= 0 {
			return "", fmt.Errorf("%s=%q is not shell-safe", kv[0], kv[1])
		}
		b.WriteString(kv[0] + "=" + kv[1] + "\n")
	}
	return b.String(), nil
}
