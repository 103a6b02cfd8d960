package cli

import (
	"os"
	"testing"
)

// TestMain lets a test run the test binary itself as the patchflow
// command (PATCHFLOW_TEST_RUN_CLI=1), so process-level behaviour (a
// SIGKILL) is tested on the real code without building another binary.
func TestMain(m *testing.M) {
	if os.Getenv("PATCHFLOW_TEST_RUN_CLI") == "1" {
		os.Exit(Execute(NewFactory("test"), os.Args[1:]))
	}
	os.Exit(m.Run())
}
