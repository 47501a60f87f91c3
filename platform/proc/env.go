package proc

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Env is a child environment: base (nil: this process's environment) with the given variables set,
// replacing any of the same name, and the names in unset removed.
func Env(base []string, set map[string]string, unset ...string) []string {
	if base == nil {
		base = os.Environ()
	}
	drop := map[string]bool{}
	for _, k := range unset {
		drop[k] = true
	}
	for k := range set {
		drop[k] = true
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		out = append(out, k+"="+set[k])
	}
	return out
}

// TerraformEnv adds the project's Terraform settings to env (nil: this process's) where they are not
// set: the CLI config the platform writes (.tf/cli.tfrc, when present; also over a TF_CLI_CONFIG_FILE
// naming no file), the plugin cache, no checkpoint calls, automation mode.
func TerraformEnv(env []string, root string) ([]string, error) {
	if env == nil {
		env = os.Environ()
	}
	have := map[string]bool{}
	cliConfig := ""
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		have[k] = v != ""
		if k == "TF_CLI_CONFIG_FILE" {
			cliConfig = v
		}
	}
	set := map[string]string{}
	// A CLI config named but missing (a stale TF_CLI_CONFIG_FILE) is replaced too, as the e2e suite does.
	if !have["TF_CLI_CONFIG_FILE"] || !fileExists(cliConfig) {
		if f := filepath.Join(root, ".tf", "cli.tfrc"); fileExists(f) {
			set["TF_CLI_CONFIG_FILE"] = f
		}
	}
	if !have["TF_PLUGIN_CACHE_DIR"] {
		d := filepath.Join(root, ".tf", "plugin-cache")
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("terraform plugin cache: %w", err)
		}
		set["TF_PLUGIN_CACHE_DIR"] = d
	}
	if !have["TF_IN_AUTOMATION"] {
		set["TF_IN_AUTOMATION"] = "1"
	}
	if !have["CHECKPOINT_DISABLE"] {
		set["CHECKPOINT_DISABLE"] = "1"
	}
	return Env(env, set), nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
