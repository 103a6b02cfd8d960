// Package bench holds patchflow's benchmarks (docs/benchmarks.md): the
// orchestration overhead of a real cycle against its critical path,
// patchflow against Ansible and a plain Go ssh loop on the same test
// fleet, and a 10,000-host simulated fleet through a full cycle on the
// embedded server.
//
// Every comparison is measured side by side in one run, because the
// machine is shared and noisy; nothing here asserts a timing. The only
// assertion is a correctness one: no workflow history above
// MaxHistoryEvents. Run them with
//
//	go test -run '^$' -bench . -benchtime 1x ./bench
//
// or `go run ./bench/cmd/patchbench`, which prints the same tables.
// docs/benchmarks.md has the figures measured.
package bench
