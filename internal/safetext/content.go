package safetext

import "bytes"

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
