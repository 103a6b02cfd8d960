package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// Every activity name the workflows call must be a method of *Activities
// taking a context and the payload type, or the worker would fail the
// workflow at run time with "activity type not registered".
func TestEveryWorkflowActivityIsImplemented(t *testing.T) {
	typ := reflect.TypeOf(&Activities{})
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	for _, name := range workflows.ActivityNames {
		m, ok := typ.MethodByName(name)
		if !ok {
			t.Errorf("activity %s has no method on *Activities", name)
			continue
		}
		if m.Type.NumIn() != 3 || m.Type.In(1) != ctxType {
			t.Errorf("activity %s: signature %v, want (ctx, input)", name, m.Type)
		}
	}
}

func TestClassifyMarksPermanentFailures(t *testing.T) {
	cases := []struct {
		err       error
		typ       string
		retryable bool
	}{
		{&pkgmgr.Error{Kind: pkgmgr.NotFound, Msg: "demo-app=9 not found"}, workflows.ErrPackageNotFound, false},
		{&pkgmgr.Error{Kind: pkgmgr.ScriptFailed, Msg: "postinst"}, workflows.ErrScriptFailed, false},
		{&pkgmgr.Error{Kind: pkgmgr.Locked, Msg: "lock held"}, "Transient", true},
		{&transport.Error{Kind: transport.HostKeyChanged, Host: "h", Op: "connect"}, workflows.ErrHostKey, false},
		{&transport.Error{Kind: transport.Unreachable, Host: "h", Op: "connect"}, "Transient", true},
		{errors.New("other"), "Transient", true},
	}
	for _, c := range cases {
		err := classify(c.err)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) {
			t.Fatalf("classify(%v) = %v, not an application error", c.err, err)
		}
		if app.Type() != c.typ || app.NonRetryable() == c.retryable {
			t.Errorf("classify(%v): type %s retryable %v, want %s retryable %v", c.err, app.Type(), !app.NonRetryable(), c.typ, c.retryable)
		}
	}
}

func TestParseBootID(t *testing.T) {
	out := "6f1c3a5e-0d2b-4a7e-9a3c-2c1f0b9d8e7f\n1 (my init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 424242 1000 10 0\n"
	got, err := parseBootID(out)
	if err != nil || got != "6f1c3a5e-0d2b-4a7e-9a3c-2c1f0b9d8e7f/424242" {
		t.Errorf("parseBootID = %q, %v; want boot id / PID 1 start time 424242", got, err)
	}
	if _, err := parseBootID("garbage"); err == nil {
		t.Error("parseBootID accepted garbage")
	}
}

func TestVersionMatches(t *testing.T) {
	for _, c := range []struct {
		kind, want, got string
		ok              bool
	}{
		{"apt", "1.0.1", "1.0.1", true},
		{"apt", "1.0.1", "1.0.1-1", false},
		{"dnf", "1.0.1", "1.0.1-1", true},
		{"dnf", "1.0.1", "1.0.10-1", false},
		{"dnf", "1.0.1-2", "1.0.1-1", false},
		{"dnf", "", "1.0.1-1", false},
	} {
		if got := versionMatches(c.kind, c.want, c.got); got != c.ok {
			t.Errorf("versionMatches(%s, %q, %q) = %v, want %v", c.kind, c.want, c.got, got, c.ok)
		}
	}
}

func TestLoadInventoryFromURL(t *testing.T) {
	const inv = "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  web1:\n    address: 10.213.99.1\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/inv.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(inv))
	}))
	defer srv.Close()
	got, err := LoadInventory(srv.URL + "/inv.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := got.Lookup("web1"); !ok || h.Address != "10.213.99.1" || got.Source != srv.URL+"/inv.yaml" {
		t.Errorf("inventory %+v", got)
	}
	if _, err := LoadInventory(srv.URL + "/missing.yaml"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing URL: %v, want the status", err)
	}
}
