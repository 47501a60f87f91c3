package main

import (
	"context"
	"fmt"
)

// tfCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func tfCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform tf: not written yet")
	return exitFail
}
