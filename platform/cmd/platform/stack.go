package main

import (
	"context"
	"fmt"
)

// stackCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func stackCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform stack: not written yet")
	return exitFail
}
