package activities

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/inventory"
)

// inventoryTTL is how long host activities reuse a loaded inventory, so a
// wave of hundreds of hosts does not re-read (or re-fetch) it per step.
// ResolveTargets always reads it afresh.
const inventoryTTL = 10 * time.Second

type cachedInventory struct {
	inv *inventory.Inventory
	at  time.Time
}

type inventoryCache struct {
	mu      sync.Mutex
	entries map[string]cachedInventory
}

// load returns the inventory at source, from the cache when fresh.
func (a *Activities) loadInventory(source string, fresh bool) (*inventory.Inventory, error) {
	c := &a.invCache
	c.mu.Lock()
	e, ok := c.entries[source]
	c.mu.Unlock()
	if ok && !fresh && time.Since(e.at) < inventoryTTL {
		return e.inv, nil
	}
	inv, err := a.d.LoadInventory(source)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cachedInventory{}
	}
	c.entries[source] = cachedInventory{inv: inv, at: time.Now()}
	c.mu.Unlock()
	return inv, nil
}

// LoadInventory reads an inventory from a file path or an http(s) URL (the
// policy's inventory source). A URL inventory must use absolute paths for
// identity and known_hosts files: there is no directory to resolve them in.
func LoadInventory(source string) (*inventory.Inventory, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		return inventory.Load(source)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch inventory %s: %w", source, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch inventory %s: %w", source, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch inventory %s: status %s", source, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, inventory.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch inventory %s: %w", source, err)
	}
	if len(data) > inventory.MaxFileSize {
		return nil, fmt.Errorf("fetch inventory %s: larger than %d bytes", source, inventory.MaxFileSize)
	}
	inv, err := inventory.Parse("", data)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", source, err)
	}
	inv.Source = source
	return inv, nil
}
