package transport

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
)

// ErrorKind classifies a transport failure so callers can decide whether to
// retry (Unreachable, Timeout) or stop and ask an operator (host keys, auth,
// sudo).
type ErrorKind string

// Error kinds. Unknown is returned by KindOf for errors that are not *Error.
const (
	Unknown        ErrorKind = ""
	Unreachable    ErrorKind = "unreachable"
	AuthRefused    ErrorKind = "auth-refused"
	HostKeyUnknown ErrorKind = "host-key-unknown"
	HostKeyChanged ErrorKind = "host-key-changed"
	Timeout        ErrorKind = "timeout"
	SudoPassword   ErrorKind = "sudo-password"
	CommandFailed  ErrorKind = "command-failed"
	// Closed is returned when a command is run on a closed connection.
	Closed ErrorKind = "closed"
	// Invalid is returned for a command rejected before it reached the host
	// (empty argv, bad environment variable name).
	Invalid ErrorKind = "invalid"
)

// Error is a transport failure on one host. Op names what was attempted
// ("connect", "run apt-get update", ...). Msg, when set, is the complete
// human message (used where the fix needs explaining); Err is the cause.
type Error struct {
	Host string
	Op   string
	Kind ErrorKind
	Msg  string
	Err  error
	// ExitCode and Stderr are set for CommandFailed.
	ExitCode int
	Stderr   string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	var b strings.Builder
	fmt.Fprintf(&b, "host %s: %s", e.Host, e.Op)
	if e.Kind != "" && e.Kind != CommandFailed {
		fmt.Fprintf(&b, ": %s", e.Kind)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or Unknown.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// stderrTailLines is how much of stderr an error message carries: enough for
// apt's or dpkg's final complaint, short enough for a table cell or log line.
const stderrTailLines = 5

// Check turns a completed command into an error: a transport error is
// returned unchanged, a non-zero exit becomes *Error{Kind: CommandFailed}
// naming the host, the command and the last lines of stderr.
func Check(res Result, err error, host string, cmd Command) error {
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	tail := Tail(res.Stderr, stderrTailLines)
	if tail == "" {
		tail = Tail(res.Stdout, stderrTailLines)
	}
	msg := fmt.Sprintf("host %s: %s exited with status %d", host, cmd.String(), res.ExitCode)
	if tail != "" {
		msg += ": " + tail
	}
	return &Error{Host: host, Op: "run " + cmd.String(), Kind: CommandFailed, Msg: msg,
		ExitCode: res.ExitCode, Stderr: string(res.Stderr)}
}

// maxTailLine bounds each line Tail keeps.
const maxTailLine = 300

// Tail returns the last n non-empty lines of out joined with "; ",
// trimmed, each cut to maxTailLine bytes and with control characters
// escaped: remote output travels into errors, workflow history and
// terminals, and a hostile host must not drive the reader's terminal.
func Tail(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var keep []string
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		if l := strings.TrimSpace(string(lines[i])); l != "" {
			if len(l) > maxTailLine {
				l = strings.ToValidUTF8(l[:maxTailLine], "") + "..."
			}
			keep = append(keep, safetext.Terminal(l))
		}
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	return strings.Join(keep, "; ")
}
