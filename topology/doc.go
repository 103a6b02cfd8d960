// Package topology runs patchflow's production topology on one machine:
// the Temporal server binary (go.temporal.io/server at the version
// patchflow's go.mod pins, built as its own process) on a private
// PostgreSQL cluster, and several `patchflow worker` processes. The
// topology is what deploy/local/topology starts; this package drives that
// script for tests (free loopback ports, a state directory per test,
// SIGKILL by process ID, restarts) and holds the Go steps the script
// needs: registering the namespace and search attributes (EnsureNamespace)
// and telling which workers poll the task queue (PollingPIDs).
package topology
