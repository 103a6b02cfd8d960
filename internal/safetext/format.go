package safetext

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Input is a string that came from outside (a file, a URL body, a remote
// host). Formatted with %q it is an Excerpt; with %s or %v its control
// characters are escaped (Terminal).
type Input string

// Format implements fmt.Formatter.
func (s Input) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, Excerpt(string(s)))
		return
	}
	io.WriteString(f, Terminal(string(s)))
}

// Args wraps every string argument as Input, leaving errors (%w) and other
// values as they are.
func Args(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = Input(s)
		}
		out[i] = a
	}
	return out
}

// Errorf is fmt.Errorf for messages that quote input: every string
// argument is formatted as Input, so %q quotes at most MaxExcerpt
// characters and nothing prints a raw control character.
func Errorf(format string, args ...any) error {
	return fmt.Errorf(format, Args(args)...)
}

// Sprintf is Errorf's counterpart for message text.
func Sprintf(format string, args ...any) string {
	return fmt.Sprintf(format, Args(args)...)
}

// Message makes another library's error message safe to show: every
// double-quoted string in it is cut to an Excerpt, the rest has its
// control characters escaped, and a trailing newline is dropped. Parsers
// (ssh_config, known_hosts) quote the offending input in their messages.
func Message(msg string) string {
	msg = strings.TrimRight(msg, "\r\n")
	var b strings.Builder
	plain := 0
	for i := 0; i < len(msg); {
		if msg[i] != '"' {
			i++
			continue
		}
		q, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			i++
			continue
		}
		b.WriteString(Terminal(msg[plain:i]))
		u, _ := strconv.Unquote(q)
		b.WriteString(Excerpt(u))
		i += len(q)
		plain = i
	}
	b.WriteString(Terminal(msg[plain:]))
	return b.String()
}
