package transport

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultTimeout bounds a command whose Timeout is zero.
const DefaultTimeout = 5 * time.Minute

// DefaultOutputLimit is how many bytes of stdout and of stderr a Result keeps
// by default; the rest is read and discarded so the remote side never blocks.
const DefaultOutputLimit = 4 << 20

// Command is one program to run on a host. Args is an argv: each element is
// quoted by Quote before it reaches a remote shell, so it may contain any
// byte except NUL.
type Command struct {
	Args []string
	// Sudo wraps the command in `sudo -n --` when the connection's user is
	// not root and the host has Become set; root runs it directly.
	Sudo bool
	// Timeout bounds the command; 0 means DefaultTimeout.
	Timeout time.Duration
	Stdin   []byte
	// Env sets environment variables for the command. Names must match
	// [A-Z_][A-Z0-9_]*; values are quoted.
	Env map[string]string
}

// Result is what a command that ran produced. Truncated is set when stdout
// or stderr exceeded the output limit and was cut.
type Result struct {
	Stdout, Stderr []byte
	ExitCode       int
	Truncated      bool
}

// String renders the command for messages: argv words, quoted only where a
// reader needs it. It is never sent to a shell; CommandLine is.
func (c Command) String() string {
	var b strings.Builder
	if c.Sudo {
		b.WriteString("sudo ")
	}
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && plainWord.MatchString(a) {
			b.WriteString(a)
		} else {
			b.WriteString(Quote(a))
		}
	}
	return b.String()
}

// timeout returns the effective timeout.
func (c Command) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

var (
	plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+:,./-]+$`)
	envName   = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
)

// Quote returns s as one POSIX shell word: wrapped in single quotes, with
// each embedded single quote closed, escaped and reopened:
//
//	it's  ->  'it'\''s'
//
// Every byte other than NUL survives a round trip through sh unchanged; the
// empty string becomes a pair of quotes. It is the only function that
// prepares arguments for a remote shell.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ValidEnvName reports whether name is an acceptable environment variable
// name for Command.Env.
func ValidEnvName(name string) bool { return envName.MatchString(name) }

// validate rejects commands that cannot be expressed safely.
func (c Command) validate() error {
	if len(c.Args) == 0 || c.Args[0] == "" {
		return fmt.Errorf("empty command")
	}
	for _, a := range c.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("argument %q contains a NUL byte", a)
		}
	}
	for k, v := range c.Env {
		if !ValidEnvName(k) {
			return fmt.Errorf("environment variable name %q is invalid (want [A-Z_][A-Z0-9_]*)", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("environment variable %s contains a NUL byte", k)
		}
	}
	return nil
}

// envList returns NAME=value pairs sorted by name, so command lines are
// deterministic.
func (c Command) envList() []string {
	names := make([]string, 0, len(c.Env))
	for k := range c.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, k := range names {
		out = append(out, k+"="+c.Env[k])
	}
	return out
}

// argv returns the full argument vector to execute: sudo and env wrappers
// first (when sudo applies), then the command itself.
func (c Command) argv(useSudo bool) []string {
	var out []string
	if useSudo {
		out = append(out, "sudo", "-n", "--")
	}
	if env := c.envList(); len(env) > 0 {
		out = append(out, "env")
		out = append(out, env...)
	}
	return append(out, c.Args...)
}

// CommandLine returns the shell line sent to a remote host. `exec` makes the
// command replace the login shell, so a signal sent on timeout reaches the
// command (or sudo, which relays it) rather than an intermediate shell.
func (c Command) CommandLine(useSudo bool) string {
	words := c.argv(useSudo)
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return "exec " + strings.Join(q, " ")
}

// limitedBuffer keeps the first limit bytes written and counts the rest.
type limitedBuffer struct {
	buf       []byte
	limit     int
	truncated bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	room := l.limit - len(l.buf)
	if room >= len(p) {
		l.buf = append(l.buf, p...)
		return len(p), nil
	}
	if room > 0 {
		l.buf = append(l.buf, p[:room]...)
	}
	l.truncated = true
	return len(p), nil
}

// sudoRefusal recognises `sudo -n` refusing to run the command: it would
// need a password (or a terminal to ask for one), or the sudoers policy
// demands a terminal (requiretty). It returns "" otherwise.
func sudoRefusal(exit int, stderr []byte) string {
	if exit != 1 {
		return ""
	}
	s := string(stderr)
	switch {
	case strings.Contains(s, "sudo: a password is required"), strings.Contains(s, "sudo: a terminal is required"):
		return "password"
	case strings.Contains(s, "you must have a tty to run sudo"):
		return "tty"
	}
	return ""
}

// sudoError explains a sudo refusal and what to change.
func sudoError(host, user, why string, cmd Command) *Error {
	msg := fmt.Sprintf("host %s: sudo requires a password for user %s; configure NOPASSWD for patchflow's commands or connect as root", host, user)
	if why == "tty" {
		msg = fmt.Sprintf("host %s: sudo requires a terminal for user %s (requiretty); add `Defaults:%s !requiretty` to sudoers or connect as root", host, user, user)
	}
	return &Error{Host: host, Op: "run " + cmd.String(), Kind: SudoPassword, Msg: msg}
}
