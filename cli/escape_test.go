package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// hostile holds what a label value, a host's stderr or a reason could carry
// to rewrite a terminal: clear screen, carriage return, a forged row, a
// bidi override, an 8-bit CSI.
const hostile = "ok\x1b[2J\rFORGED\nweb9  10.0.0.9  root  web  env=prod\u202e\x9b31m"

func assertEscaped(t *testing.T, what, out string, lines int) {
	t.Helper()
	for _, c := range []string{"\x1b", "\r", "\u202e", "\u009b"} {
		if strings.Contains(out, c) {
			t.Errorf("%s prints a raw %q:\n%s", what, c, out)
		}
	}
	if !strings.Contains(out, `ok\x1b[2J\rFORGED\nweb9`) {
		t.Errorf("%s does not show the value escaped:\n%s", what, out)
	}
	if n := strings.Count(out, "\n"); lines > 0 && n != lines {
		t.Errorf("%s prints %d lines, want %d (a value forged a row):\n%s", what, n, lines, out)
	}
}

func TestInventoryListEscapesHostileLabels(t *testing.T) {
	inv := writeInventory(t, "inventory.yaml", "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  web1:\n    labels:\n      note: "+
		strings.NewReplacer("\x1b", `\e`, "\r", `\r`, "\n", `\n`, "\x9b", `\x9b`).Replace(`"`+hostile+`"`)+"\n")
	code, out, errOut := run(t, "inventory", "list", "-i", inv)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	assertEscaped(t, "inventory list", out, 2)
}

func TestCycleOutputEscapesHostileValues(t *testing.T) {
	st := workflows.CycleStatus{CycleID: "cycle/web/2026-01-01T00:00:00Z", State: domain.CycleFailed, Reason: hostile,
		Hosts:   []workflows.HostReport{{Host: "web1", Wave: 1, Stage: "1", State: domain.HostFailed, Reason: hostile}},
		Stages:  []workflows.StageStatus{{Stage: "1", Hosts: []string{"web1"}}},
		Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	assertEscaped(t, "progress line", progressLine(st)+"\n", 1)
	var b bytes.Buffer
	printCycleSummary(&b, workflows.CycleResult{CycleStatus: st, Finished: st.Started.Add(time.Minute)})
	assertEscaped(t, "cycle summary", b.String(), 0)
	b.Reset()
	printCycleHosts(&b, st.Hosts)
	assertEscaped(t, "cycle hosts", b.String(), 0)
}

func TestScanOutputEscapesRemoteText(t *testing.T) {
	res := InventoryScanResult{Hosts: []HostScan{{Host: "web1", Error: &ScanError{Op: "refresh", Message: hostile}}}}
	var out, errOut bytes.Buffer
	if err := printScanTable(&out, res); err != nil {
		t.Fatal(err)
	}
	printScanErrors(&errOut, res)
	assertEscaped(t, "scan errors", errOut.String(), 2)
}

// Errors reach the terminal escaped too, whatever they quote; the errors
// of a list keep one line each.
func TestErrorsPrintEscaped(t *testing.T) {
	_, _, errOut := run(t, "inventory", "list", "-i", "/nonexistent/"+hostile)
	assertEscaped(t, "error", errOut, 1)
	multi := fmt.Errorf("policy p: %w", errors.Join(errors.New("a: "+hostile), errors.New("b")))
	if got := errorText(multi); strings.Count(got, "\n") != 1 || strings.ContainsAny(got, "\x1b\r") || !strings.HasPrefix(got, "policy p: a: ok\\x1b[2J") {
		t.Errorf("errorText = %q", got)
	}
}
