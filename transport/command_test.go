package transport

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"abc", "'abc'"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{"$(reboot)", "'$(reboot)'"},
		{"`id`", "'`id`'"},
		{"a;b|c&d", "'a;b|c&d'"},
		{"line1\nline2", "'line1\nline2'"},
		{`back\slash`, `'back\slash'`},
		{"*", "'*'"},
	}
	for _, tc := range tests {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// roundTrip quotes s, hands it to sh -c as printf's argument and returns
// what the shell passed on.
func roundTrip(t testing.TB, s string) []byte {
	out, err := exec.Command("sh", "-c", "printf '%s' "+Quote(s)).Output()
	if err != nil {
		t.Fatalf("sh -c with %q: %v", s, err)
	}
	return out
}

func TestQuoteRoundTripsThroughShell(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", "''''", "$HOME", "$(id)", "`id`", "a\nb", "\\", "\"q\"", "\xff\xfe", "tab\there", "!event", "~user", "-n"} {
		if got := roundTrip(t, s); !bytes.Equal(got, []byte(s)) {
			t.Errorf("round trip of %q gave %q", s, got)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a'b", "$(x)", "\n", "\xff", "%s%n", "-e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			t.Skip("NUL cannot pass through argv; validate rejects it")
		}
		if got := roundTrip(t, s); !bytes.Equal(got, []byte(s)) {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}

func TestCommandLine(t *testing.T) {
	c := Command{Args: []string{"apt-get", "install", "-y", "demo-app=1.0.1"}, Env: map[string]string{"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}}
	want := "exec 'env' 'DEBIAN_FRONTEND=noninteractive' 'LC_ALL=C' 'apt-get' 'install' '-y' 'demo-app=1.0.1'"
	if got := c.CommandLine(false); got != want {
		t.Errorf("CommandLine(false) =\n %s\nwant\n %s", got, want)
	}
	want = "exec 'sudo' '-n' '--' 'env' 'DEBIAN_FRONTEND=noninteractive' 'LC_ALL=C' 'apt-get' 'install' '-y' 'demo-app=1.0.1'"
	if got := c.CommandLine(true); got != want {
		t.Errorf("CommandLine(true) =\n %s\nwant\n %s", got, want)
	}
	// The line must run through a real shell with the argv intact.
	c = Command{Args: []string{"printf", "%s|", "a b", "it's", "$(id)"}, Env: map[string]string{"X": "y z"}}
	out, err := exec.Command("sh", "-c", c.CommandLine(false)).Output()
	if err != nil || string(out) != "a b|it's|$(id)|" {
		t.Errorf("shell ran %q: %q, %v", c.CommandLine(false), out, err)
	}
}

func TestCommandString(t *testing.T) {
	c := Command{Args: []string{"dpkg-query", "-W", "-f", "${Package}\t${Version}\n", "demo-app"}, Sudo: true}
	want := `sudo dpkg-query -W -f '${Package}	${Version}` + "\n" + `' demo-app`
	if got := c.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"empty", Command{}, "empty command"},
		{"nul arg", Command{Args: []string{"echo", "a\x00b"}}, "NUL"},
		{"lowercase env", Command{Args: []string{"true"}, Env: map[string]string{"path": "x"}}, `"path" is invalid`},
		{"env injection", Command{Args: []string{"true"}, Env: map[string]string{"A;reboot": "x"}}, "is invalid"},
		{"env leading digit", Command{Args: []string{"true"}, Env: map[string]string{"1A": "x"}}, "is invalid"},
	}
	for _, tc := range tests {
		err := tc.cmd.validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validate() = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
	if err := (Command{Args: []string{"true"}, Env: map[string]string{"DEBIAN_FRONTEND": "x", "_A1": ""}}).validate(); err != nil {
		t.Errorf("valid command rejected: %v", err)
	}
}

func TestLimitedBuffer(t *testing.T) {
	b := &limitedBuffer{limit: 5}
	for _, p := range []string{"abc", "def", "ghi"} {
		if n, err := b.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; writers must see full writes so the remote never blocks", p, n, err)
		}
	}
	if string(b.buf) != "abcde" || !b.truncated {
		t.Errorf("buffer = %q truncated=%v, want \"abcde\" true", b.buf, b.truncated)
	}
}

func TestTail(t *testing.T) {
	out := []byte("one\ntwo\n\nthree\nfour\n")
	if got := Tail(out, 2); got != "three; four" {
		t.Errorf("Tail = %q", got)
	}
	if !utf8.ValidString(Tail([]byte("x"), 5)) || Tail(nil, 3) != "" {
		t.Error("Tail of short input")
	}
	// A hostile host's stderr reaches errors and terminals escaped.
	if got := Tail([]byte("E: broken\x1b[2J\rHOST OK\n"), 2); got != `E: broken\x1b[2J\rHOST OK` {
		t.Errorf("Tail kept control characters: %q", got)
	}
	if got := Tail([]byte(strings.Repeat("x", 5000)), 1); len(got) != maxTailLine+3 {
		t.Errorf("Tail kept a %d-byte line", len(got))
	}
}

func TestPidCatcher(t *testing.T) {
	var out bytes.Buffer
	p := &pidCatcher{next: &out}
	for _, chunk := range []string{"patchflow-", "pid 4242\nfirst", " line\n", "second\n"} {
		p.Write([]byte(chunk))
	}
	if p.get() != 4242 || out.String() != "first line\nsecond\n" {
		t.Errorf("pid %d, passed on %q", p.get(), out.String())
	}
	// A start-up file printing first: the announcement is still found.
	out.Reset()
	p = &pidCatcher{next: &out}
	p.Write([]byte("bashrc says hi\npatchflow-pid 7\nreal"))
	p.Write([]byte(" error\n"))
	if p.get() != 7 || out.String() != "bashrc says hi\nreal error\n" {
		t.Errorf("pid %d, passed on %q", p.get(), out.String())
	}
	// No announcement at all (a shell that cannot run printf): nothing lost.
	out.Reset()
	p = &pidCatcher{next: &out}
	p.Write([]byte("sh: 1: printf: not found\npartial"))
	p.flush()
	if p.get() != 0 || out.String() != "sh: 1: printf: not found\npartial" {
		t.Errorf("pid %d, passed on %q", p.get(), out.String())
	}
}

func TestSudoRefusal(t *testing.T) {
	tests := []struct {
		exit   int
		stderr string
		want   string
	}{
		{1, "sudo: a password is required\n", "password"},
		{1, "sudo: a terminal is required to read the password; either use the -S option\n", "password"},
		{1, "sudo: sorry, you must have a tty to run sudo\n", "tty"},
		{1, "E: Could not open lock file\n", ""},
		{0, "sudo: a password is required\n", ""},
	}
	for _, tc := range tests {
		if got := sudoRefusal(tc.exit, []byte(tc.stderr)); got != tc.want {
			t.Errorf("sudoRefusal(%d, %q) = %q, want %q", tc.exit, tc.stderr, got, tc.want)
		}
	}
	err := sudoError("web1", "ops", "tty", Command{Args: []string{"id"}})
	if err.Kind != SudoPassword || !strings.Contains(err.Error(), "Defaults:ops !requiretty") {
		t.Errorf("tty error: %v", err)
	}
}
