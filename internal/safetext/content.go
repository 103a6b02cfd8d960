package safetext

import (
	"bytes"
	"unicode/utf8"
)

// Describe names content that is recognisably not a configuration file, so
// that a reader of a wrong path can say what the file is without quoting
// it: key material, an encrypted vault, binary data. It returns "" for
// anything else (which the format's own parser then judges).
func Describe(data []byte) string {
	head := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(head, []byte("-----BEGIN OPENSSH PRIVATE KEY")),
		bytes.HasPrefix(head, []byte("-----BEGIN RSA PRIVATE KEY")),
		bytes.HasPrefix(head, []byte("-----BEGIN EC PRIVATE KEY")),
		bytes.HasPrefix(head, []byte("-----BEGIN DSA PRIVATE KEY")),
		bytes.HasPrefix(head, []byte("-----BEGIN PRIVATE KEY")),
		bytes.HasPrefix(head, []byte("-----BEGIN ENCRYPTED PRIVATE KEY")):
		return "a private key"
	case bytes.HasPrefix(head, []byte("-----BEGIN ")):
		return "PEM data (a key or certificate)"
	case bytes.HasPrefix(head, []byte("PuTTY-User-Key-File")):
		return "a PuTTY private key"
	case bytes.HasPrefix(head, []byte("$ANSIBLE_VAULT;")):
		return "an Ansible Vault encrypted file (decrypt it first: ansible-vault view)"
	case bytes.IndexByte(data[:min(len(data), 64<<10)], 0) >= 0:
		return "binary data"
	}
	return ""
}

// InvalidUTF8 finds the first byte of data that is not UTF-8 and returns
// its 1-based line and column (in characters) and the byte; ok is false
// when data is valid UTF-8. Parsers report invalid UTF-8 without a
// position, which leaves a user searching a file for an invisible byte.
func InvalidUTF8(data []byte) (line, col int, b byte, ok bool) {
	if utf8.Valid(data) {
		return 0, 0, 0, false
	}
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return line, col, data[i], true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return 0, 0, 0, false
}
