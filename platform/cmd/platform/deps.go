package main

import (
	"context"
	"fmt"
)

// depsCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func depsCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform deps: not written yet")
	return exitFail
}
