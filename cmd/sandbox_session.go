package cmd

import (
	"github.com/urfave/cli/v2"
)

// sandboxSession is a sandbox this invocation started or found (--sandbox).
type sandboxSession struct {
	endpoint string
	closeFn  func() error
}

func (s *sandboxSession) close() error {
	if s.closeFn == nil {
		return nil
	}
	return s.closeFn()
}

// startSandbox returns the endpoint of the sandbox for --sandbox.
func (a *app) startSandbox(c *cli.Context) (string, error) {
	if a.sandbox != nil {
		return a.sandbox.endpoint, nil
	}
	return "", &awsSetupError{msg: "the sandbox is not available in this build"}
}
