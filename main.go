// Command ecsctl operates Amazon ECS on EC2: rolling deploys, AMI rotation,
// scaling, logs and a live dashboard. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"ecsctl/cmd"
	"ecsctl/render"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Run(ctx, os.Args, render.System())
	stop()
	os.Exit(code)
}
