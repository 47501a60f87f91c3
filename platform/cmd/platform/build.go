package main

import (
	"context"
	"fmt"
)

// buildCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func buildCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform build: not written yet")
	return exitFail
}
