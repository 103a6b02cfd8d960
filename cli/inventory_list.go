package cli

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/patchflow/patchflow/internal/yamldiag"
	"github.com/patchflow/patchflow/inventory"
	"github.com/spf13/cobra"
)

// InventoryListOptions are the flags of `patchflow inventory list`.
type InventoryListOptions struct {
	IO IOStreams
	// InventoryPath is the inventory file (-i).
	InventoryPath string
	// Select holds the raw --select arguments; each may hold comma-separated
	// terms, and all terms apply.
	Select []string
	JSON   bool
}

// InventoryListResult is the `inventory list --json` object.
type InventoryListResult struct {
	Source   string           `json:"source"`
	Format   string           `json:"format"`
	Selector string           `json:"selector"` // normalised terms, "" = every host
	Hosts    []inventory.Host `json:"hosts"`
}

// NewCmdInventoryList builds `patchflow inventory list`.
func NewCmdInventoryList(f *Factory, runF func(*InventoryListOptions) error) *cobra.Command {
	opts := &InventoryListOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list -i FILE [--select TERMS]... [--json]",
		Short: "List an inventory's hosts, optionally selected by group or label",
		Long: `List the hosts of an inventory with their address, user, groups and labels.

The inventory is patchflow's own YAML or an Ansible inventory (INI or YAML).
Every problem in the file is reported with file:line:col.

--select takes comma-separated terms, and may be repeated; all terms apply:
  group=NAME         hosts in the group or any of its child groups
  host=NAME          one host by inventory name
  KEY=VALUE          hosts whose label KEY is VALUE (label:KEY=VALUE for a
                     label called group or host)
A group, host or label key that the inventory does not have is an error.

Exit codes: 0 listed (also when nothing matches), 1 the inventory or the
selection is invalid, 2 usage error.`,
		Example: `  patchflow inventory list -i hosts.ini
  patchflow inventory list -i inventory.yaml --select group=web,env=prod
  patchflow inventory list -i inventory.yaml --select group=web --select env=prod --json`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.InventoryPath == "" {
				return UsageError("inventory list: -i/--inventory FILE is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return inventoryListRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.InventoryPath, "inventory", "i", "", "inventory `FILE` (patchflow YAML or Ansible INI/YAML)")
	cmd.Flags().StringArrayVar(&opts.Select, "select", nil, "select hosts by `TERMS` such as group=web,env=prod (repeatable; all terms apply)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func inventoryListRun(opts *InventoryListOptions) error {
	inv, sel, hosts, err := selectHosts(opts.IO, opts.InventoryPath, opts.Select)
	if err != nil {
		return err
	}
	if opts.JSON {
		if hosts == nil {
			hosts = []inventory.Host{}
		}
		return printJSON(opts.IO.Out, InventoryListResult{Source: inv.Source, Format: inv.Format, Selector: sel.String(), Hosts: hosts})
	}
	if len(hosts) == 0 {
		_, err := termf(opts.IO.ErrOut, "no hosts in %s match --select %s\n", opts.InventoryPath, sel)
		return err
	}
	return printHostTable(opts.IO, hosts)
}

// loadInventory reads an inventory; a file with problems prints every one
// of them (file:line:col: ...) and fails without a second summary.
// selectHosts reads the inventory at path and the hosts the selector terms
// pick: a bad term is a usage error (exit 2), problems in the file are
// printed one a line (exit 1).
func selectHosts(io IOStreams, path string, terms []string) (*inventory.Inventory, inventory.Selector, []inventory.Host, error) {
	sel, err := inventory.ParseSelector(terms)
	if err != nil {
		return nil, sel, nil, &ExitError{Code: ExitUsage, Err: err}
	}
	inv, err := loadInventory(io, path)
	if err != nil {
		return nil, sel, nil, err
	}
	hosts, err := inv.SelectStrict(sel)
	return inv, sel, hosts, err
}

func loadInventory(io IOStreams, path string) (*inventory.Inventory, error) {
	inv, err := inventory.Load(path)
	var errs yamldiag.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			termf(io.ErrOut, "error: %s\n", e)
		}
		return nil, SilentError(ExitFailure)
	}
	return inv, err
}

func printHostTable(io IOStreams, hosts []inventory.Host) error {
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tUSER\tGROUPS\tLABELS")
	for _, h := range hosts {
		termf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Name, hostAddress(h), hostUser(h), orDash(strings.Join(h.Groups, ",")), orDash(labelString(h.Labels)))
	}
	return tw.Flush()
}

// hostAddress shows where patchflow connects: host:port when the port is
// not 22, "local" for the local transport.
func hostAddress(h inventory.Host) string {
	if h.Transport == inventory.TransportLocal {
		return "local"
	}
	if h.Port == inventory.DefaultPort {
		return h.Address
	}
	return net.JoinHostPort(h.Address, strconv.Itoa(h.Port))
}

func hostUser(h inventory.Host) string {
	if h.Become && h.User != "root" {
		return h.User + " (sudo)"
	}
	return h.User
}

func labelString(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
