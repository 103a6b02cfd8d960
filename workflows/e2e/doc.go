// Package e2e runs patch cycles end to end: the real Temporal server
// (go.temporal.io/server/temporaltest, in memory), the real activities and
// the real test fleet (package localfleet). It holds only tests; it is the
// one test package that links the Temporal server, so build it rarely:
//
//	go test ./workflows/e2e/ -v          # needs root; ~5 min cold compile
//	PATCHFLOW_RECORD=1 go test ./workflows/e2e/ -run Cycle   # also rewrites workflows/testdata
package e2e
