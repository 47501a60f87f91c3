package main

import (
	"context"
	"fmt"
)

// releaseCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func releaseCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform release: not written yet")
	return exitFail
}
