package main

import (
	"context"
	"fmt"
)

// motoCmd is being written (issue 10): this placeholder is replaced by the group's implementation.
func motoCmd(_ context.Context, _ []string, env Env) int {
	fmt.Fprintln(env.Stderr, "platform moto: not written yet")
	return exitFail
}
