package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdInventory builds `patchflow inventory`, the parent of the commands
// that read an inventory. Subcommands hook in here: `list` lives in
// inventory_list.go; `scan` (inventory_scan.go) is added to the same
// AddCommand call as NewCmdInventoryScan(f, nil) once it exists.
func NewCmdInventory(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Read inventories: list hosts and what selects them",
		Long: `Read an inventory: patchflow's own YAML (apiVersion: patchflow/v1,
kind: Inventory) or an Ansible inventory (INI or YAML).

Select hosts with --select: group=NAME (child groups included), host=NAME,
or a label KEY=VALUE (Ansible host and group vars are labels). Terms
separated by commas and repeated --select flags all apply (AND).`,
		Args: wrapArgs(cobra.NoArgs),
	}
	cmd.AddCommand(
		NewCmdInventoryList(f, nil),
		NewCmdInventoryScan(f, nil),
	)
	return cmd
}
