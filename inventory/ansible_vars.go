package inventory

import (
	"strconv"
	"strings"
	"time"
)

// Ansible variables patchflow reads into connection settings; they do not
// become labels.
var connectionVars = map[string]bool{
	"ansible_host": true, "ansible_ssh_host": true,
	"ansible_port": true, "ansible_ssh_port": true,
	"ansible_user": true, "ansible_ssh_user": true,
	"ansible_become":               true,
	"ansible_connection":           true,
	"ansible_ssh_private_key_file": true, "ansible_private_key_file": true,
	"ansible_ssh_common_args": true, "ansible_ssh_extra_args": true,
	"ansible_ssh_timeout": true, "ansible_timeout": true,
	"patchflow_known_hosts_file":   true,
	"patchflow_trust_on_first_use": true,
}

func consumedVar(k string) bool { return connectionVars[k] }

// checkVar validates one var as it is read and reports whether to keep it.
// Connection vars are checked here, where they are written, so a bad group
// var is reported once rather than once per host. Other Ansible vars are
// kept only when they may be labels (labelVar); patchflow's own labels
// are refused when they hold key material.
// object names the host or group, built only for an error (hosts x vars
// calls).
func (m *model) checkVar(object func() string, key, value string, p pos) bool {
	if err := validLabelKey(key); err != nil {
		m.errs.Add(p, object(), "%v", err)
		return false
	}
	if !m.ansible {
		if what := keyMaterial(value); what != "" {
			m.errs.Add(p, object(), "label %s looks like %s; labels are shown by inventory list and travel with hosts: keep secrets out of the inventory", key, what)
			return false
		}
		return true
	}
	if !connectionVars[key] {
		return labelVar(key, value)
	}
	if strings.Contains(value, "{{") || strings.Contains(value, "{%") {
		m.errs.Add(p, object(), "%s: templates are not evaluated by patchflow; write the value itself, got %q", key, value)
		return false
	}
	if _, err := parseConnectionVar(key, value, m.baseDir); err != nil {
		m.errs.Add(p, object(), "%s: %v", key, err)
		return false
	}
	return true
}

// parseConnectionVar turns one ansible_* var into settings.
func parseConnectionVar(key, value, baseDir string) (settings, error) {
	var s settings
	var err error
	switch key {
	case "ansible_host", "ansible_ssh_host":
		s.address, err = normalizeAddress(value)
	case "ansible_port", "ansible_ssh_port":
		s.port, err = parsePort(value)
	case "ansible_user", "ansible_ssh_user":
		err = validUser(value)
		s.user = value
	case "ansible_become", "patchflow_trust_on_first_use":
		b, ok := parseBool(value)
		if !ok {
			return s, errorf("want true or false, got %q", value)
		}
		if key == "ansible_become" {
			s.become = &b
		} else {
			s.tofu = &b
		}
	case "ansible_connection":
		switch value {
		case "ssh", "smart", "paramiko":
			s.transport = TransportSSH
		case "local":
			s.transport = TransportLocal
		default:
			return s, errorf("connection %q is not supported; patchflow speaks ssh and local", value)
		}
	case "ansible_ssh_private_key_file", "ansible_private_key_file":
		s.identityFile, err = resolvePath(value, baseDir)
	case "patchflow_known_hosts_file":
		if s.knownHostsFile, err = resolvePath(value, baseDir); err == nil {
			err = validKnownHostsPath(s.knownHostsFile)
		}
	case "ansible_ssh_common_args", "ansible_ssh_extra_args":
		s, err = parseSSHArgs(value, baseDir)
	case "ansible_ssh_timeout", "ansible_timeout":
		n, e := strconv.Atoi(strings.TrimSpace(value))
		if e != nil || n <= 0 || n > 3600 {
			return s, errorf("want seconds from 1 to 3600, got %q", value)
		}
		s.connectTimeout = time.Duration(n) * time.Second
	}
	return s, err
}

// settingsFromVars collects connection settings from merged vars; the vars
// were validated by checkVar, so errors cannot occur here.
func settingsFromVars(vars map[string]mVar, baseDir string) settings {
	var s settings
	// Fixed order: old ansible_ssh_* spellings first, the current ones win.
	for _, k := range []string{
		"ansible_ssh_host", "ansible_host", "ansible_ssh_port", "ansible_port",
		"ansible_ssh_user", "ansible_user", "ansible_become", "ansible_connection",
		"ansible_private_key_file", "ansible_ssh_private_key_file",
		"ansible_ssh_common_args", "ansible_ssh_extra_args",
		"ansible_timeout", "ansible_ssh_timeout",
		"patchflow_known_hosts_file", "patchflow_trust_on_first_use",
	} {
		if v, ok := vars[k]; ok {
			if vs, err := parseConnectionVar(k, v.value, baseDir); err == nil {
				s = s.over(vs)
			}
		}
	}
	return s
}

// sshFlagsWithArg are ssh(1) options that take an argument.
const sshFlagsWithArg = "BbcDEeFIiJLlmOopQRSWw"

// parseSSHArgs reads the parts of ansible_ssh_common_args patchflow can
// honour: a jump host (-J, ProxyJump, or a simple `ssh -W %h:%p` ProxyCommand),
// UserKnownHostsFile, and StrictHostKeyChecking=accept-new as the explicit
// trust-on-first-use opt-in. Other options are ignored; patchflow always
// verifies host keys.
func parseSSHArgs(args, baseDir string) (settings, error) {
	var s settings
	words, err := shellSplit(args)
	if err != nil {
		return s, err
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if len(w) < 2 || w[0] != '-' || !strings.ContainsRune(sshFlagsWithArg, rune(w[1])) {
			continue
		}
		flag, val := w[1], w[2:]
		if val == "" {
			if i+1 >= len(words) {
				return s, errorf("ssh option -%c needs a value", flag)
			}
			i++
			val = words[i]
		}
		switch flag {
		case 'J':
			s.proxyJump = val
		case 'o':
			if err := sshOption(&s, val, baseDir); err != nil {
				return s, err
			}
		}
	}
	if s.proxyJump != "" {
		if err := validProxyJump(s.proxyJump); err != nil {
			return s, err
		}
	}
	return s, nil
}

func sshOption(s *settings, opt, baseDir string) error {
	key, val, ok := strings.Cut(opt, "=")
	if !ok {
		key, val, _ = strings.Cut(opt, " ")
	}
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	if val == "" {
		return errorf("ssh option %q needs a value", opt)
	}
	var err error
	switch strings.ToLower(key) {
	case "proxyjump":
		s.proxyJump = val
	case "proxycommand":
		s.proxyJump, err = proxyCommandJump(val)
	case "userknownhostsfile":
		if s.knownHostsFile, err = resolvePath(strings.Fields(val + " ")[0], baseDir); err == nil {
			err = validKnownHostsPath(s.knownHostsFile)
		}
	case "stricthostkeychecking":
		if strings.EqualFold(val, "accept-new") {
			s.tofu = boolPtr(true)
		}
	}
	return err
}

// proxyCommandJump converts `ssh -W %h:%p [-q] [-p port] [-l user] [user@]host`
// into a ProxyJump; anything more involved is refused rather than ignored,
// so patchflow never connects by a different route than the inventory says.
func proxyCommandJump(cmd string) (string, error) {
	words, err := shellSplit(cmd)
	if err != nil {
		return "", err
	}
	unsupported := errorf("ProxyCommand %q is not supported; use -o ProxyJump=user@host:port", cmd)
	if len(words) == 0 || words[0] != "ssh" {
		return "", unsupported
	}
	var user, port, host string
	sawW := false
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-q" || w == "-T" || w == "-N":
		case w == "-W" && i+1 < len(words) && words[i+1] == "%h:%p":
			sawW = true
			i++
		case (w == "-p" || w == "-l") && i+1 < len(words):
			if w == "-p" {
				port = words[i+1]
			} else {
				user = words[i+1]
			}
			i++
		case !strings.HasPrefix(w, "-") && host == "":
			host = w
		default:
			return "", unsupported
		}
	}
	if !sawW || host == "" {
		return "", unsupported
	}
	jump := host
	if user != "" && !strings.Contains(host, "@") {
		jump = user + "@" + host
	}
	if port != "" {
		jump += ":" + port
	}
	return jump, validProxyJump(jump)
}

// shellSplit splits words the way a POSIX shell would for quoting
// (single and double quotes, backslash); no expansion happens.
func shellSplit(s string) ([]string, error) { return shellSplitComments(s, false) }

// shellSplitComments is shellSplit that, with comments, ends the line at a
// '#' starting a word (as Python's shlex does for Ansible INI host lines).
func shellSplitComments(s string, comments bool) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case comments && c == '#' && !inWord:
			i = len(s)
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
