package inventory

import (
	"regexp"
	"strings"
	"unicode"
)

// Which Ansible variables become labels. Ansible inventories carry
// everything a playbook needs, secrets included, and labels are shown by
// `inventory list` and travel with hosts; so a variable becomes a label
// only when both its name and its value pass, and is dropped otherwise:
//
//   - the name has no word that names a secret (secretWords, matched on
//     the words of the name: api_key, dbPassword, ansible_become_pass);
//   - the value is one short line of plain text (labelValueRe: at most
//     maxLabelValue characters of letters, digits, space and . _ - : / @ , + = #);
//   - the value does not look like key material (keyMaterial: PEM blocks,
//     SSH keys, vault blobs, long runs of base64 or hex);
//   - the value is a scalar: nested mappings and lists never become labels.

// maxLabelValue bounds a label value; longer values are data, not labels.
const maxLabelValue = 128

// secretWords name secrets when they are a word of a variable name.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pwd": true, "passphrase": true,
	"secret": true, "secrets": true, "token": true, "tokens": true,
	"key": true, "keys": true, "apikey": true, "privatekey": true, "accesskey": true, "secretkey": true,
	"credential": true, "credentials": true, "cred": true, "creds": true,
	"auth": true, "vault": true, "otp": true, "pin": true, "salt": true,
	"cookie": true, "session": true, "bearer": true, "jwt": true, "signature": true,
}

// secretParts are matched anywhere in a lower-cased name, for names written
// without separators (dbpassword, myapitoken).
var secretParts = []string{"password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey", "accesskey", "vault"}

// secretName reports whether a variable name looks like it holds a secret.
func secretName(name string) bool {
	lower := strings.ToLower(name)
	for _, p := range secretParts {
		if strings.Contains(lower, p) {
			return true
		}
	}
	for _, w := range nameWords(name) {
		if secretWords[w] {
			return true
		}
	}
	return false
}

// nameWords splits a variable name into lower-case words at separators and
// camelCase humps: "dbAPIKey_v2" -> db, api, key, v2.
func nameWords(name string) []string {
	var words []string
	var cur []rune
	rs := []rune(name)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0 &&
			(unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

var (
	labelValueRe = regexp.MustCompile(`^[\p{L}\p{N} ._:/@,+=#-]*$`)
	// A run of base64 or hex characters this long is a token or a key.
	tokenRunRe = regexp.MustCompile(`[A-Za-z0-9+/=]{24,}`)
	sshKeyRe   = regexp.MustCompile(`(^|\s)(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+AAAA`)
)

// keyMaterial describes a value that looks like a key, a token or an
// encrypted blob, or returns "".
func keyMaterial(v string) string {
	switch {
	case strings.Contains(v, "-----BEGIN") || strings.Contains(v, "PRIVATE KEY"):
		return "a PEM block"
	case strings.Contains(v, "$ANSIBLE_VAULT"):
		return "an Ansible Vault blob"
	case sshKeyRe.MatchString(v):
		return "an SSH key"
	}
	for _, run := range tokenRunRe.FindAllString(v, -1) {
		if strings.ContainsAny(run, "0123456789") && strings.IndexFunc(run, unicode.IsLetter) >= 0 {
			return "a token (a long run of base64 or hex)"
		}
	}
	return ""
}

// labelVar reports whether an Ansible variable may become a label.
func labelVar(key, value string) bool {
	return !secretName(key) && len(value) <= maxLabelValue && labelValueRe.MatchString(value) && keyMaterial(value) == ""
}
