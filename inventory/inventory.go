package inventory

import (
	"sort"
	"time"
)

// Limits that keep a broken or hostile inventory from exhausting memory.
const (
	// MaxFileSize is the largest inventory file Load and Parse accept.
	MaxFileSize = 16 << 20
	// MaxHosts is the largest number of hosts an inventory may hold,
	// counted after host ranges are expanded.
	MaxHosts = 100000
	// DefaultPort is the SSH port used when neither host nor defaults set one.
	DefaultPort = 22
	// DefaultUser is the remote user used when neither host nor defaults set one.
	DefaultUser = "root"
	// DefaultKnownHostsFile is what the transport uses for hosts whose
	// SSHOptions.KnownHostsFile is empty (the inventory names none).
	DefaultKnownHostsFile = "~/.ssh/known_hosts"
)

// Transports a host may use.
const (
	TransportSSH   = "ssh"
	TransportLocal = "local"
)

// Implicit groups every inventory has, as in Ansible: "all" holds every host,
// "ungrouped" the hosts that belong to no other group.
const (
	GroupAll       = "all"
	GroupUngrouped = "ungrouped"
)

// Host is one machine patchflow can reach.
type Host struct {
	Name      string            `json:"name"`      // inventory name; unique; workflow ID is host/<Name>
	Address   string            `json:"address"`   // ansible_host, else Name
	Port      int               `json:"port"`      // default 22
	User      string            `json:"user"`      // default "root"
	Become    bool              `json:"become"`    // run privileged commands with `sudo -n`
	Transport string            `json:"transport"` // "ssh" (default) or "local"
	Labels    map[string]string `json:"labels"`    // host + group vars flattened to strings (host wins)
	// Groups lists every group containing the host, including ancestors of
	// its direct groups and "ungrouped" when it has no other; sorted. The
	// implicit "all" is left out because every host is in it.
	Groups []string   `json:"groups"`
	SSH    SSHOptions `json:"ssh"`
}

// SSHOptions are the connection settings of one host. Paths are absolute
// when the inventory was read from a file (relative paths are resolved
// against the inventory file's directory).
type SSHOptions struct {
	IdentityFile    string        `json:"identity_file,omitempty"` // private key path (never its contents)
	KnownHostsFile  string        `json:"known_hosts_file"`        // "" = the transport's default, ~/.ssh/known_hosts
	TrustOnFirstUse bool          `json:"trust_on_first_use"`      // explicit opt-in only
	ProxyJump       string        `json:"proxy_jump,omitempty"`    // user@host:port[,...]
	ConnectTimeout  time.Duration `json:"connect_timeout_ns,omitempty"`
}

// Inventory is a parsed inventory: its hosts sorted by name.
type Inventory struct {
	Source string `json:"source"` // the file it was read from
	Format string `json:"format"` // FormatPatchflow, FormatAnsibleINI or FormatAnsibleYAML
	Hosts  []Host `json:"hosts"`  // sorted by CompareNames (web-2 before web-10)
	// GroupNames lists every group, sorted, including "all" and "ungrouped".
	GroupNames []string `json:"groups"`
}

// Lookup returns the host with the given inventory name.
func (inv *Inventory) Lookup(name string) (Host, bool) {
	i := sort.Search(len(inv.Hosts), func(i int) bool { return CompareNames(inv.Hosts[i].Name, name) >= 0 })
	if i < len(inv.Hosts) && inv.Hosts[i].Name == name {
		return inv.Hosts[i], true
	}
	return Host{}, false
}

// HasGroup reports whether the inventory defines the group. "all" and
// "ungrouped" always exist.
func (inv *Inventory) HasGroup(name string) bool {
	if name == GroupAll || name == GroupUngrouped {
		return true
	}
	i := sort.SearchStrings(inv.GroupNames, name)
	return i < len(inv.GroupNames) && inv.GroupNames[i] == name
}

// InGroup reports whether the host belongs to the group, directly or
// through a child group. Every host is in "all".
func (h Host) InGroup(name string) bool {
	if name == GroupAll {
		return true
	}
	i := sort.SearchStrings(h.Groups, name)
	return i < len(h.Groups) && h.Groups[i] == name
}

// Names returns the names of the hosts, in order.
func Names(hosts []Host) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h.Name
	}
	return out
}
