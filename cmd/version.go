package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"ecsctl/render"
)

// Set by the release build: -ldflags "-X ecsctl/cmd.version=... -X ecsctl/cmd.commit=... -X ecsctl/cmd.date=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo is what `ecsctl version` reports.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func versionString() string {
	b := currentBuild()
	return fmt.Sprintf("%s (commit %s, built %s)", b.Version, b.Commit, b.Date)
}

// printVersion is `ecsctl version` and `ecsctl --version` (which every
// peer accepts, and scripts try first).
func printVersion(c *cli.Context) error {
	b := currentBuild()
	if jsonOutput(c) {
		return render.JSON(c.App.Writer, b)
	}
	_, err := fmt.Fprintf(c.App.Writer, "ecsctl %s\ncommit %s\nbuilt %s\n%s %s\n", b.Version, b.Commit, b.Date, b.GoVersion, b.Platform)
	return err
}

func init() {
	// --version without urfave's -v alias (no command's flags collide then).
	cli.VersionFlag = applyCopy{&cli.BoolFlag{Name: "version", Usage: "print the version and exit (as 'ecsctl version')"}}
	cli.VersionPrinter = func(c *cli.Context) { _ = printVersion(c) }
	addCommand(func(a *app) *cli.Command {
		return &cli.Command{
			Name:   "version",
			Usage:  "print ecsctl's version, commit and build date",
			Action: printVersion,
		}
	})
}
