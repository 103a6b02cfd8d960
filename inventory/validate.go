package inventory

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxNameLen bounds host and group names (a DNS name is at most 253 bytes).
const maxNameLen = 253

// ValidHostName reports why name cannot be a host name, or nil. Host names
// appear in workflow IDs (host/<name>) and in command lines, so only
// [A-Za-z0-9._-] is allowed, without a leading '-' or '.'.
func ValidHostName(name string) error {
	return validName("host name", name)
}

// ValidGroupName reports why name cannot be a group name, or nil; group
// names follow the same rules as host names.
func ValidGroupName(name string) error {
	return validName("group name", name)
}

func validName(what, name string) error {
	switch {
	case name == "":
		return errorf("%s is empty", what)
	case len(name) > maxNameLen:
		return errorf("%s is longer than %d characters", what, maxNameLen)
	case name[0] == '-' || name[0] == '.':
		return errorf("%s %q must not start with %q", what, name, name[0])
	}
	for _, r := range name {
		if !nameChar(r) {
			return errorf("%s %q contains %q; use only letters, digits, '.', '_' and '-'", what, name, r)
		}
	}
	return nil
}

func nameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// normalizeAddress validates a host address (DNS name, IPv4 or IPv6, with
// or without brackets) and returns it without brackets.
func normalizeAddress(addr string) (string, error) {
	if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		addr = addr[1 : len(addr)-1]
	}
	if addr == "" {
		return "", errorf("address is empty")
	}
	if ip, err := netip.ParseAddr(addr); err == nil {
		if ip.Zone() != "" {
			return "", errorf("address %q: zoned IPv6 addresses are not supported", addr)
		}
		return ip.String(), nil
	}
	if err := validDNSName(addr); err != nil {
		return "", err
	}
	return addr, nil
}

func validDNSName(addr string) error {
	if len(addr) > maxNameLen {
		return errorf("address is longer than %d characters", maxNameLen)
	}
	for _, label := range strings.Split(strings.TrimSuffix(addr, "."), ".") {
		if label == "" {
			return errorf("address %q has an empty label; want a DNS name or an IP address", addr)
		}
		if len(label) > 63 {
			return errorf("address %q has a label longer than 63 characters", addr)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errorf("address %q: a label must not start or end with '-'", addr)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return errorf("address %q contains %q; want a DNS name or an IP address", addr, r)
			}
		}
	}
	return nil
}

// validUser accepts POSIX-style login names; they go to SSH and to sudo.
func validUser(u string) error {
	if u == "" {
		return errorf("user is empty")
	}
	if len(u) > 64 {
		return errorf("user is longer than 64 characters")
	}
	if u[0] == '-' {
		return errorf("user %q must not start with '-'", u)
	}
	for i, r := range u {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' ||
			r == '$' && i == len(u)-1
		if !ok {
			return errorf("user %q contains %q; use letters, digits, '.', '_' and '-'", u, r)
		}
	}
	return nil
}

// parsePort accepts 1-65535.
func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, errorf("port must be a number from 1 to 65535, got %q", s)
	}
	return n, nil
}

// validLabelKey keeps keys usable in --select terms (no '=', ',' or ':').
func validLabelKey(k string) error {
	if k == "" {
		return errorf("label key is empty")
	}
	if len(k) > 128 {
		return errorf("label key is longer than 128 characters")
	}
	for _, r := range k {
		if !nameChar(r) && r != '/' {
			return errorf("label key %q contains %q; use letters, digits, '.', '_', '-' and '/'", k, r)
		}
	}
	return nil
}

// validProxyJump checks a ProxyJump list: [user@]host[:port][,...].
func validProxyJump(s string) error {
	if s == "" {
		return errorf("proxy_jump is empty")
	}
	for _, hop := range strings.Split(s, ",") {
		rest := hop
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			if err := validUser(rest[:i]); err != nil {
				return errorf("proxy jump %q: %v", hop, err)
			}
			rest = rest[i+1:]
		}
		host := rest
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]")
			if end < 0 {
				return errorf("proxy jump %q: missing ']'", hop)
			}
			host = rest[:end+1]
			rest = rest[end+1:]
			if rest != "" {
				if !strings.HasPrefix(rest, ":") {
					return errorf("proxy jump %q: want [user@]host[:port]", hop)
				}
				if _, err := parsePort(rest[1:]); err != nil {
					return errorf("proxy jump %q: %v", hop, err)
				}
			}
		} else if i := strings.LastIndex(rest, ":"); i >= 0 && strings.Count(rest, ":") == 1 {
			host = rest[:i]
			if _, err := parsePort(rest[i+1:]); err != nil {
				return errorf("proxy jump %q: %v", hop, err)
			}
		}
		if _, err := normalizeAddress(host); err != nil {
			return errorf("proxy jump %q: %v", hop, err)
		}
	}
	return nil
}

// resolvePath expands a leading "~/" with the reading process's home
// directory and makes a relative path relative to the inventory's directory.
func resolvePath(p, baseDir string) (string, error) {
	if p == "" {
		return "", nil
	}
	if strings.ContainsRune(p, 0) {
		return "", errorf("path contains a NUL byte")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return p, nil // the transport reports the unopenable path by name
		}
		return filepath.Join(home, p[1:]), nil
	}
	if strings.HasPrefix(p, "~") {
		return "", errorf("path %q: only ~/ (the current user's home) is supported", p)
	}
	if filepath.IsAbs(p) || baseDir == "" {
		return filepath.Clean(p), nil
	}
	return filepath.Join(baseDir, p), nil
}

// validKnownHostsPath refuses a known_hosts path that names a device or a
// kernel file (/dev/null above all): host keys cannot be verified against
// it, and with trust on first use every key would be trusted every time.
// The transport checks the rest when it connects (a regular file owned by
// the worker's user), since only it knows that user.
func validKnownHostsPath(p string) error {
	clean := filepath.Clean(p)
	for _, dir := range []string{"/dev", "/proc", "/sys"} {
		if clean == dir || strings.HasPrefix(clean, dir+"/") {
			return errorf("known_hosts file %s is a device or kernel file, not a known_hosts file: patchflow always verifies host keys (with /dev/null every key would be trusted every time); name a real known_hosts file or leave it out for ~/.ssh/known_hosts", clean)
		}
	}
	return nil
}
