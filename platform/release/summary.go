package release

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Change kinds of a plan summary, with their line markers.
var changeMarks = map[string]string{"create": "+", "update": "~", "replace": "-/+", "delete": "-"}

// Summary is a readable summary of a saved plan (`terraform show -json <plan>`): the first line counts
// the changes ("<tag>: N to create, N to update, N to replace, N to delete"; the pipeline's approval
// message), then one line per changed managed resource: + create, ~ update, -/+ replace, - delete.
func Summary(tag string, planJSON []byte) (string, error) {
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Mode    string `json:"mode"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(planJSON, &plan); err != nil {
		return "", fmt.Errorf("read the plan (terraform show -json): %w", err)
	}
	type change struct{ kind, address string }
	var changes []change
	counts := map[string]int{}
	for _, rc := range plan.ResourceChanges {
		if rc.Mode != "managed" {
			continue
		}
		kind := changeKind(rc.Change.Actions)
		if kind == "" {
			continue
		}
		counts[kind]++
		changes = append(changes, change{kind, rc.Address})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d to create, %d to update, %d to replace, %d to delete\n",
		tag, counts["create"], counts["update"], counts["replace"], counts["delete"])
	for _, c := range changes {
		fmt.Fprintf(&b, "  %s %s\n", changeMarks[c.kind], c.address)
	}
	return b.String(), nil
}

// changeKind names a resource change's actions; "" for no-op, read and forget.
func changeKind(actions []string) string {
	switch {
	case slices.Equal(actions, []string{"create"}):
		return "create"
	case slices.Equal(actions, []string{"update"}):
		return "update"
	case slices.Equal(actions, []string{"delete"}):
		return "delete"
	case slices.Equal(actions, []string{"delete", "create"}), slices.Equal(actions, []string{"create", "delete"}):
		return "replace"
	}
	return ""
}
