package pkgmgr

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a package manager failure.
type ErrorKind string

// Error kinds. Transport failures are passed through as *transport.Error.
const (
	// Broken: half-installed or half-configured packages (dpkg --audit).
	Broken ErrorKind = "broken"
	// Locked: another apt/dpkg (or dnf) run holds the package database lock.
	Locked ErrorKind = "locked"
	// NotFound: a pinned version is not available from any repository.
	NotFound ErrorKind = "not-found"
	// ScriptFailed: a maintainer script (postinst, %post) failed.
	ScriptFailed ErrorKind = "script-failed"
	// DiskFull: not enough free space to download or unpack.
	DiskFull ErrorKind = "disk-full"
	// InvalidInput: a package name or version outside the grammar; nothing
	// was sent to the host.
	InvalidInput ErrorKind = "invalid-input"
	// Mismatch: the command succeeded but the installed state is not the
	// one asked for.
	Mismatch ErrorKind = "mismatch"
	// FetchFailed: a repository or package could not be downloaded.
	FetchFailed ErrorKind = "fetch-failed"
	// Failed: the command failed for another reason (see Stderr).
	Failed ErrorKind = "failed"
	// Unsupported: no driver for the host.
	Unsupported ErrorKind = "unsupported"
)

// Error is a package manager failure on one host.
type Error struct {
	Host   string
	Op     string // "install", "refresh", ...
	Cmd    string // the command that failed, for the operator to rerun
	Kind   ErrorKind
	Msg    string // the full message
	Stderr string // the relevant tail of the command's output
	Err    error
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	s := fmt.Sprintf("host %s: %s", e.Host, e.Op)
	if e.Cmd != "" {
		s += " (" + e.Cmd + ")"
	}
	s += ": " + string(e.Kind)
	if e.Stderr != "" {
		s += ": " + e.Stderr
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or "".
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
