package main

import (
	"context"
	"fmt"
)

// localrunCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func localrunCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform localrun: not written yet")
	return exitFail
}
