package posture

import (
	"fmt"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
)

// InventoryLoader reads an inventory from its source (a path or a URL).
type InventoryLoader func(source string) (*inventory.Inventory, error)

// inventories loads each inventory source once per report.
type inventories struct {
	load  InventoryLoader
	cache map[string]invEntry
}

type invEntry struct {
	inv *inventory.Inventory
	err error
}

func (r *Reader) inventories() *inventories {
	load := r.LoadInventory
	if load == nil {
		load = activities.LoadInventory
	}
	return &inventories{load: load, cache: map[string]invEntry{}}
}

func (c *inventories) get(source string) (*inventory.Inventory, error) {
	if e, ok := c.cache[source]; ok {
		return e.inv, e.err
	}
	inv, err := c.load(source)
	if err != nil {
		err = fmt.Errorf("read inventory %s: %w", source, err)
	}
	c.cache[source] = invEntry{inv, err}
	return inv, err
}

// Targets is a spec's hosts as a cycle or an assessment of it would
// resolve them today: staging first, then production, in inventory order.
type Targets struct {
	Staging    []string
	Production []string
}

// All lists staging and production hosts.
func (t Targets) All() []string {
	return append(append([]string(nil), t.Staging...), t.Production...)
}

// resolveTargets applies a spec's selectors to its inventory the way the
// ResolveTargets activity does.
func resolveTargets(inv *inventory.Inventory, spec domain.CycleSpec) (Targets, error) {
	sel, err := inventory.ParseSelector(spec.Inventory.Select)
	if err != nil {
		return Targets{}, err
	}
	hosts, err := inv.SelectStrict(sel)
	if err != nil {
		return Targets{}, err
	}
	staged := map[string]bool{}
	if len(spec.Staging.Select) > 0 {
		ssel, err := inventory.ParseSelector(spec.Staging.Select)
		if err != nil {
			return Targets{}, err
		}
		shosts, err := inv.SelectStrict(ssel)
		if err != nil {
			return Targets{}, err
		}
		for _, h := range shosts {
			staged[h.Name] = true
		}
	}
	for _, n := range spec.Staging.Hosts {
		staged[n] = true
	}
	var t Targets
	if spec.Staging.Enabled() {
		t.Staging = domain.SelectStaging(inventory.Names(inv.Hosts), func(h string) bool { return staged[h] }, spec.Staging.Count)
	}
	t.Production = domain.Production(inventory.Names(hosts), t.Staging)
	return t, nil
}

// WaveOf is the wave a cycle of spec would put host in today (0 for
// staging, 1-based production waves), and false when the host is not a
// target. A cycle assigns waves to the hosts that have something to patch
// when it plans, so this is the policy's assignment over every target: a
// preview, exact when every target has the update.
func (t Targets) WaveOf(spec domain.CycleSpec, host string) (int, bool) {
	for _, h := range t.Staging {
		if h == host {
			return 0, true
		}
	}
	pos := -1
	for i, h := range t.Production {
		if h == host {
			pos = i
			break
		}
	}
	if pos < 0 {
		return 0, false
	}
	waves, err := domain.PlanWaves(spec.Waves, len(t.Production))
	if err != nil {
		return 0, false
	}
	n := 0
	for i, w := range waves {
		n += w.Size
		if pos < n {
			return i + 1, true
		}
	}
	return len(waves), true
}
