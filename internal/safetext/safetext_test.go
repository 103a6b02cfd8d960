package safetext

import (
	"strings"
	"testing"
)

func TestExcerptCutsAndEscapes(t *testing.T) {
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
	got := Excerpt(key)
	if strings.Contains(got, "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ") || strings.Contains(got, "\n") {
		t.Fatalf("Excerpt kept key material or a raw newline: %s", got)
	}
	want := `"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl"... (106 bytes)`
	if got != want {
		t.Fatalf("Excerpt = %s, want %s", got, want)
	}
	if got := Excerpt("web\x1b[2J1"); got != `"web\x1b[2J1"` {
		t.Fatalf("Excerpt escapes ESC: got %s", got)
	}
	if got := Excerpt(strings.Repeat("é", 50)); got != `"`+strings.Repeat("é", 40)+`"... (100 bytes)` {
		t.Fatalf("Excerpt counts characters, not bytes: got %s", got)
	}
}

func TestTerminalEscapesControls(t *testing.T) {
	for in, want := range map[string]string{
		"prod":                    "prod",
		"café":                    "café",
		"a\x1b[2Jb":               `a\x1b[2Jb`,
		"ok\rFORGED":              `ok\rFORGED`,
		"x\nweb9  10.0.0.9  root": `x\nweb9  10.0.0.9  root`,
		"tab\there":               `tab\there`,
		"\u202eevil":              `\u202eevil`,
		"\x9b31m":                 `\x9b31m`,
		"c1 \u009b":               `c1 \u009b`,
		"del\x7f":                 `del\x7f`,
	} {
		if got := Terminal(in); got != want {
			t.Errorf("Terminal(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Lines("a\x1b\nb\r"); got != "a\\x1b\nb\\r" {
		t.Errorf("Lines kept or lost the wrong characters: %q", got)
	}
}

func TestDescribeNamesKeyMaterial(t *testing.T) {
	for in, want := range map[string]string{
		"-----BEGIN OPENSSH PRIVATE KEY-----\nabc": "a private key",
		"\n-----BEGIN CERTIFICATE-----\nabc":       "PEM data (a key or certificate)",
		"$ANSIBLE_VAULT;1.1;AES256\n6231":          "an Ansible Vault encrypted file (decrypt it first: ansible-vault view)",
		"\x7fELF\x02\x01\x01\x00\x00":              "binary data",
		"[web]\nweb1\n":                            "",
	} {
		if got := Describe([]byte(in)); got != want {
			t.Errorf("Describe(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTerminal(f *testing.F) {
	f.Add("a\x1b[2Jb\r\n\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := Terminal(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
				t.Fatalf("Terminal(%q) kept control %U", s, r)
			}
		}
		if e := Excerpt(s); len(e) > 4*MaxExcerpt*4+40 {
			t.Fatalf("Excerpt too long: %d", len(e))
		}
	})
}

func TestMessageCutsQuotedInput(t *testing.T) {
	long := strings.Repeat("A", 100)
	got := Message("12:1: unexpected token \"" + long + "\"\n")
	want := `12:1: unexpected token "` + strings.Repeat("A", 40) + `"... (100 bytes)`
	if got != want {
		t.Fatalf("Message = %q, want %q", got, want)
	}
	if got := Message("bad \x1b[2J \"x\ny\""); got != `bad \x1b[2J "x\ny"` {
		t.Fatalf("Message = %q", got)
	}
}

func TestInvalidUTF8Position(t *testing.T) {
	line, col, b, ok := InvalidUTF8([]byte("a: 1\nname: caf\xe9\n"))
	if !ok || line != 2 || col != 10 || b != 0xe9 {
		t.Errorf("InvalidUTF8 = %d:%d %#x %v, want 2:10 0xe9", line, col, b, ok)
	}
	if _, _, _, ok := InvalidUTF8([]byte("café\n")); ok {
		t.Error("valid UTF-8 reported")
	}
}
