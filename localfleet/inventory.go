package localfleet

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Groups every fleet inventory has, so tests and the demo can select waves
// without writing an inventory: "fleet" (every host), "staging" (h1),
// "canary" (h2), "wave1" (the rest), and one group per kind ("apt", "dnf").
func hostGroups(i int, kind string) []string {
	g := []string{"fleet", kind}
	switch {
	case i == 1:
		g = append(g, "staging")
	case i == 2:
		g = append(g, "canary")
	default:
		g = append(g, "wave1")
	}
	return g
}

// hostLabels are the labels selection by label can use: env (staging for
// h1, prod for the others), kind, and index.
func hostLabels(i int, kind string) [][2]string {
	env := "prod"
	if i == 1 {
		env = "staging"
	}
	return [][2]string{{"env", env}, {"kind", kind}, {"index", strconv.Itoa(i)}}
}

// writeKnownHosts writes each host's key by address and by name.
func (f *Fleet) writeKnownHosts(keys []ssh.PublicKey) error {
	var b strings.Builder
	f.knownKeys = map[string]ssh.PublicKey{}
	for i, h := range f.order {
		b.WriteString(knownHostsLine(h, keys[i]))
		f.knownKeys[h.Name] = keys[i]
	}
	return writeFileAtomic(f.KnownHostsPath, []byte(b.String()), 0o644)
}

func knownHostsLine(h *host, key ssh.PublicKey) string {
	return h.Addr + "," + h.Name + " " + string(ssh.MarshalAuthorizedKey(key))
}

// writeInventories writes the patchflow YAML and the Ansible INI inventory
// of the fleet, both connecting as root with the fleet key and verifying
// host keys against KnownHostsPath.
func (f *Fleet) writeInventories() error {
	if err := writeFileAtomic(f.InventoryPath, []byte(f.yamlInventory("root", false)), 0o644); err != nil {
		return err
	}
	if err := writeFileAtomic(f.DeployInventoryPath, []byte(f.yamlInventory(DeployUser, true)), 0o644); err != nil {
		return err
	}
	return f.writeAnsibleInventory()
}

// yamlInventory is the fleet as a patchflow inventory whose hosts connect
// as user (with sudo when become).
func (f *Fleet) yamlInventory(user string, become bool) string {
	var y strings.Builder
	fmt.Fprintf(&y, "# patchflow test fleet %q (written by localfleet; rewritten on every Up)\n", f.Name)
	y.WriteString("apiVersion: patchflow/v1\nkind: Inventory\n")
	fmt.Fprintf(&y, "defaults:\n  user: %s\n  become: %v\n  ssh:\n", user, become)
	fmt.Fprintf(&y, "    identity_file: %s\n    known_hosts_file: %s\n    connect_timeout: 5s\n",
		yamlQuote(f.KeyPath), yamlQuote(f.KnownHostsPath))
	y.WriteString("hosts:\n")
	for _, h := range f.order {
		fmt.Fprintf(&y, "  %s:\n    address: %s\n    labels: {", h.Name, h.Addr)
		for j, l := range hostLabels(h.index, h.Kind) {
			if j > 0 {
				y.WriteString(", ")
			}
			fmt.Fprintf(&y, "%s: %s", l[0], yamlQuote(l[1]))
		}
		y.WriteString("}\n")
	}
	names, groups := f.fleetGroups()
	y.WriteString("groups:\n")
	for _, g := range names {
		fmt.Fprintf(&y, "  %s:\n    hosts: [%s]\n", g, strings.Join(groups[g], ", "))
	}
	return y.String()
}

// fleetGroups returns the fleet's groups in first-seen order and their
// hosts.
func (f *Fleet) fleetGroups() ([]string, map[string][]string) {
	groups := map[string][]string{}
	var names []string
	for _, h := range f.order {
		for _, g := range hostGroups(h.index, h.Kind) {
			if _, ok := groups[g]; !ok {
				names = append(names, g)
			}
			groups[g] = append(groups[g], h.Name)
		}
	}
	return names, groups
}

// writeAnsibleInventory writes the fleet as an Ansible INI inventory (for
// the Ansible benchmark), connecting as root.
func (f *Fleet) writeAnsibleInventory() error {
	names, groups := f.fleetGroups()
	var a strings.Builder
	fmt.Fprintf(&a, "# patchflow test fleet %q for Ansible (written by localfleet)\n", f.Name)
	for _, g := range names {
		fmt.Fprintf(&a, "[%s]\n", g)
		for _, hn := range groups[g] {
			h := f.hosts[hn]
			if g == "fleet" {
				fmt.Fprintf(&a, "%s ansible_host=%s", h.Name, h.Addr)
				for _, l := range hostLabels(h.index, h.Kind) {
					fmt.Fprintf(&a, " %s=%s", l[0], l[1])
				}
				a.WriteString("\n")
				continue
			}
			a.WriteString(h.Name + "\n")
		}
		a.WriteString("\n")
	}
	a.WriteString("[all:vars]\nansible_user=root\nansible_python_interpreter=/usr/bin/python3\n")
	fmt.Fprintf(&a, "ansible_ssh_private_key_file=%s\n", f.KeyPath)
	fmt.Fprintf(&a, "ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'\n", f.KnownHostsPath)
	return writeFileAtomic(f.AnsibleInventoryPath, []byte(a.String()), 0o644)
}

// yamlQuote double-quotes a YAML scalar.
func yamlQuote(s string) string {
	return strconv.Quote(s)
}
