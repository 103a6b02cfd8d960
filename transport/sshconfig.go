package transport

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/inventory"
)

// endpoint is one SSH server to connect to, after ~/.ssh/config and the
// inventory have been merged.
type endpoint struct {
	name          string // for messages: the inventory name or the jump spec
	addr          string // host name or IP to dial
	port          int
	user          string
	identityFiles []string
}

func (e endpoint) hostPort() string { return net.JoinHostPort(e.addr, strconv.Itoa(e.port)) }

// loadSSHConfig reads an OpenSSH client configuration; a missing file is an
// empty configuration.
func loadSSHConfig(path string) (*ssh_config.Config, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(expandHome(path))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ssh config %s: %w", path, err)
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		// The parser quotes the offending token; keep only an excerpt.
		return nil, fmt.Errorf("parse ssh config %s: %s", path, safetext.Message(err.Error()))
	}
	return cfg, nil
}

// sshConfigValue returns the first value of key for alias, "" when unset.
func sshConfigValue(cfg *ssh_config.Config, alias, key string) string {
	if cfg == nil {
		return ""
	}
	v, err := cfg.Get(alias, key)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(v)
}

// resolveHost merges the inventory host with ~/.ssh/config, looked up under
// the host's address as ssh would. Inventory values win; because the
// inventory fills in port 22 and user root by default, the ssh config's Port
// and User apply only where the inventory holds those defaults.
func resolveHost(cfg *ssh_config.Config, h inventory.Host) (endpoint, string, error) {
	alias := h.Address
	if alias == "" {
		alias = h.Name
	}
	e := endpoint{name: h.Name, addr: alias, port: h.Port, user: h.User}
	if v := sshConfigValue(cfg, alias, "HostName"); v != "" {
		e.addr = v
	}
	if e.port == 0 || e.port == inventory.DefaultPort {
		e.port = inventory.DefaultPort
		if v := sshConfigValue(cfg, alias, "Port"); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil || p <= 0 || p > 65535 {
				return endpoint{}, "", safetext.Errorf("ssh config: Port %q for %s is not a port number", v, alias)
			}
			e.port = p
		}
	}
	if e.user == "" || e.user == inventory.DefaultUser {
		if v := sshConfigValue(cfg, alias, "User"); v != "" {
			e.user = v
		}
		if e.user == "" {
			e.user = inventory.DefaultUser
		}
	}
	e.identityFiles = identityFiles(cfg, alias, h.SSH.IdentityFile)
	jump := h.SSH.ProxyJump
	if jump == "" {
		jump = sshConfigValue(cfg, alias, "ProxyJump")
	}
	if strings.EqualFold(jump, "none") {
		jump = ""
	}
	return e, jump, nil
}

// identityFiles lists the private keys to try: the inventory's, else those
// ~/.ssh/config names for the alias, else none (the dialer's defaults apply).
func identityFiles(cfg *ssh_config.Config, alias, fromInventory string) []string {
	if fromInventory != "" {
		return []string{fromInventory}
	}
	if cfg == nil {
		return nil
	}
	all, err := cfg.GetAll(alias, "IdentityFile")
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range all {
		if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "none") {
			out = append(out, f)
		}
	}
	return out
}

// parseJumps turns a ProxyJump value ("[user@]host[:port][,...]", also
// "ssh://" URIs) into endpoints, each resolved through ~/.ssh/config as ssh
// resolves jump hosts. defaultUser applies where neither the spec nor the
// config names a user.
func parseJumps(cfg *ssh_config.Config, spec, defaultUser string) ([]endpoint, error) {
	var out []endpoint
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "ssh://")
		if part == "" {
			return nil, safetext.Errorf("proxy jump %q: empty hop", spec)
		}
		user, hostport := "", part
		if i := strings.LastIndex(part, "@"); i >= 0 {
			user, hostport = part[:i], part[i+1:]
		}
		host, portStr := hostport, ""
		if h, p, err := net.SplitHostPort(hostport); err == nil {
			host, portStr = h, p
		}
		if host == "" || strings.ContainsAny(host, " \t/") {
			return nil, safetext.Errorf("proxy jump %q: bad host %q (want [user@]host[:port])", spec, hostport)
		}
		e, _, err := resolveHost(cfg, inventory.Host{Name: part, Address: host, User: user})
		if err != nil {
			return nil, err
		}
		if portStr != "" {
			p, err := strconv.Atoi(portStr)
			if err != nil || p <= 0 || p > 65535 {
				return nil, safetext.Errorf("proxy jump %q: bad port %q", spec, portStr)
			}
			e.port = p
		}
		if user == "" && sshConfigValue(cfg, host, "User") == "" {
			e.user = defaultUser
		}
		out = append(out, e)
	}
	return out, nil
}

// expandHome expands a leading "~/" to the current user's home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
