package pkgmgr

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/transport"
)

// What the apt and dnf drivers share beyond running commands (run.go):
// input validation before anything reaches the host, the free-space and
// lock parts of Health, and the wording of not-found and mismatch errors.
// Parsing each tool's output stays in its driver.

// checkPins validates every pin for manager ("apt", "dnf") before anything
// reaches the host and returns the distinct names.
func (r runner) checkPins(manager, op string, pins []Pin) ([]string, error) {
	var names []string
	for _, p := range pins {
		if err := ValidPin(manager, p); err != nil {
			return nil, r.invalid(op, err)
		}
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names, nil
}

// checkNames validates package names for manager before a query.
func (r runner) checkNames(manager, op string, names []string) error {
	for _, n := range names {
		if err := ValidName(manager, n); err != nil {
			return r.invalid(op, err)
		}
	}
	return nil
}

func (r runner) invalid(op string, err error) *Error {
	return &Error{Host: r.host(), Op: op, Kind: InvalidInput, Err: err,
		Msg: fmt.Sprintf("host %s: %s: %v (nothing was sent to the host)", r.host(), op, err)}
}

// diskSpace wants MinFreeBytes free on each of paths (the package cache,
// then /); cleanHint is the command that frees cache space.
func (r runner) diskSpace(ctx context.Context, timeout time.Duration, paths []string, cleanHint string) error {
	host := r.host()
	c := r.cmd(false, timeout, append([]string{"df", "-P", "-k"}, paths...)...)
	res, err := r.run(ctx, c)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return r.errorFor("health (free disk space)", Failed, c, res, "")
	}
	for _, fs := range parseDF(string(res.Stdout)) {
		if fs.availBytes < MinFreeBytes {
			return &Error{Host: host, Op: "health", Cmd: c.String(), Kind: DiskFull,
				Msg: fmt.Sprintf("host %s: only %s free on %s (mounted at %s), need at least %s for downloads and unpacking; free space (%s) and retry",
					host, humanBytes(fs.availBytes), fs.device, fs.mount, humanBytes(MinFreeBytes), cleanHint)}
		}
	}
	return nil
}

// lockFree runs c, a lock check that exits 0 when every lock is free and 1
// printing the held lock. lock names the kind of lock ("dpkg lock"),
// holders what usually holds it, check the step in errors.
func (r runner) lockFree(ctx context.Context, c transport.Command, lock, holders, check string) error {
	res, err := r.run(ctx, c)
	if err != nil {
		return err
	}
	switch res.ExitCode {
	case 0:
		return nil
	case 1:
		host := r.host()
		held := strings.TrimSpace(string(res.Stdout))
		return &Error{Host: host, Op: "health", Cmd: "lock " + held, Kind: Locked,
			Msg: fmt.Sprintf("host %s: the %s %s is held by another process (%s running); wait for it to finish, then retry", host, lock, held, holders)}
	}
	return r.errorFor("health ("+check+")", Failed, c, res, "")
}

// offeredList is what a not-found error says the repositories offer:
// offered newest first, or none (the hint for an empty answer).
func offeredList(manager string, offered []string, none string) string {
	if len(offered) == 0 {
		return none
	}
	sorted := append([]string(nil), offered...)
	sort.Slice(sorted, func(i, j int) bool { return Compare(manager, sorted[i], sorted[j]) > 0 })
	return strings.Join(sorted, ", ")
}

// versionMismatch is the error for a pin that tool (the package manager,
// having succeeded) left at got, not at its version: got "" is not
// installed, a pin without a version wants the package absent. detail is
// appended to the message (how to look, say).
func (r runner) versionMismatch(c transport.Command, tool string, p Pin, got, detail string) *Error {
	host := r.host()
	if got == "" {
		got = "not installed"
	}
	want := p.Version
	if want == "" {
		want = "absent"
	}
	return &Error{Host: host, Op: "install", Cmd: c.String(), Kind: Mismatch,
		Msg: fmt.Sprintf("host %s: install: %s succeeded but %s is %s, want %s%s", host, tool, p.Name, got, want, detail)}
}

type dfRow struct {
	device, mount string
	availBytes    int64
}

// parseDF reads POSIX `df -P -k` output.
func parseDF(out string) []dfRow {
	var rows []dfRow
	for i, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 6 {
			continue
		}
		kb, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			continue
		}
		rows = append(rows, dfRow{device: f[0], mount: f[len(f)-1], availBytes: kb * 1024})
	}
	return rows
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
