package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// VersionOptions are the flags of `patchflow version`.
type VersionOptions struct {
	IO   IOStreams
	JSON bool
	// Version is the build's version string.
	Version string
}

// VersionInfo is the `version --json` object.
type VersionInfo struct {
	Version     string `json:"version"`
	GoVersion   string `json:"go_version"`
	TemporalSDK string `json:"temporal_sdk"`
	Platform    string `json:"platform"`
}

// NewCmdVersion builds `patchflow version`.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print patchflow's version",
		Args:  wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func versionRun(opts *VersionOptions) error {
	info := VersionInfo{
		Version:   opts.Version,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "go.temporal.io/sdk" {
				info.TemporalSDK = dep.Version
			}
		}
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, info)
	}
	_, err := termf(opts.IO.Out, "patchflow %s (%s, %s, temporal sdk %s)\n", info.Version, info.GoVersion, info.Platform, info.TemporalSDK)
	return err
}
