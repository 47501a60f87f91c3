package main

import (
	"context"
	"fmt"
)

// benchCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func benchCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform bench: not written yet")
	return exitFail
}
