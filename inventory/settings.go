package inventory

import (
	"strings"
	"time"
)

// settings are connection settings as written; zero values mean "not set"
// so defaults, groups and hosts can be layered.
type settings struct {
	address        string
	port           int
	user           string
	become         *bool
	transport      string
	identityFile   string
	knownHostsFile string
	tofu           *bool
	proxyJump      string
	connectTimeout time.Duration
}

// over returns s with every field set in o replacing s's.
func (s settings) over(o settings) settings {
	if o.address != "" {
		s.address = o.address
	}
	if o.port != 0 {
		s.port = o.port
	}
	if o.user != "" {
		s.user = o.user
	}
	if o.become != nil {
		s.become = o.become
	}
	if o.transport != "" {
		s.transport = o.transport
	}
	if o.identityFile != "" {
		s.identityFile = o.identityFile
	}
	if o.knownHostsFile != "" {
		s.knownHostsFile = o.knownHostsFile
	}
	if o.tofu != nil {
		s.tofu = o.tofu
	}
	if o.proxyJump != "" {
		s.proxyJump = o.proxyJump
	}
	if o.connectTimeout != 0 {
		s.connectTimeout = o.connectTimeout
	}
	return s
}

// buildHost applies defaults, then the host's own settings (patchflow
// format) or its merged ansible_* vars (Ansible formats). groups and
// groupVars are shared by the hosts of one hostSet and not modified.
func (m *model) buildHost(h *mHost, groups []string, groupVars map[string]mVar) Host {
	vars := make(map[string]mVar, len(groupVars)+len(h.vars))
	for k, v := range groupVars {
		vars[k] = v
	}
	for k, v := range h.vars {
		vars[k] = v
	}
	s := settings{port: DefaultPort, user: DefaultUser, transport: TransportSSH}
	s = s.over(m.defaults)
	labels := map[string]string{}
	if m.ansible {
		s = s.over(settingsFromVars(vars, m.baseDir))
		for k, v := range vars {
			if !consumedVar(k) {
				labels[k] = v.value
			}
		}
	} else {
		s = s.over(h.settings)
		for k, v := range vars {
			labels[k] = v.value
		}
	}
	if s.address == "" {
		s.address = h.name
	}
	host := Host{
		Name:      h.name,
		Address:   s.address,
		Port:      s.port,
		User:      s.user,
		Become:    s.become != nil && *s.become,
		Transport: s.transport,
		Labels:    labels,
		Groups:    groups,
		SSH: SSHOptions{
			IdentityFile:    s.identityFile,
			KnownHostsFile:  s.knownHostsFile,
			TrustOnFirstUse: s.tofu != nil && *s.tofu,
			ProxyJump:       s.proxyJump,
			ConnectTimeout:  s.connectTimeout,
		},
	}
	if host.Address == h.name {
		// A name is always a valid address except for a trailing-dot or
		// underscore edge the DNS check refuses; report it on the host.
		if _, err := normalizeAddress(h.name); err != nil {
			m.errs.Add(h.pos, hostObj(h.name), "%v; set an address", err)
		}
	}
	return host
}

func boolPtr(b bool) *bool { return &b }

// parseBool accepts the spellings YAML 1.1 and Ansible accept.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1", "y":
		return true, true
	case "false", "no", "off", "0", "n":
		return false, true
	}
	return false, false
}
