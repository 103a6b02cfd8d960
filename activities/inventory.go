package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
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
//
// The worker fetches URLs itself, so the fetch is fenced (see
// fetchInventory): http and https only, no proxy, no link-local or cloud
// metadata address unless PATCHFLOW_INVENTORY_ALLOW_NETS allows it, at
// most inventory.MaxFileSize bytes within inventoryFetchTimeout.
func LoadInventory(source string) (*inventory.Inventory, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		return inventory.Load(source)
	}
	ctx, cancel := context.WithTimeout(context.Background(), inventoryFetchTimeout)
	defer cancel()
	data, shown, err := fetchInventory(ctx, source)
	if err != nil {
		return nil, err
	}
	inv, err := inventory.Parse("", data)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", shown, err)
	}
	inv.Source = shown
	return inv, nil
}

// InventoryAllowNetsEnv names the environment variable of the worker (and
// of any process that reads inventory URLs) listing addresses or CIDR
// ranges, comma-separated, that an inventory URL may reach although they
// are refused by default (link-local and cloud metadata addresses), e.g.
// PATCHFLOW_INVENTORY_ALLOW_NETS=169.254.10.0/24.
const InventoryAllowNetsEnv = "PATCHFLOW_INVENTORY_ALLOW_NETS"

// inventoryFetchTimeout bounds one inventory fetch, redirects included.
var inventoryFetchTimeout = 30 * time.Second

const maxInventoryRedirects = 5

// deniedInventoryNets are never dialled for an inventory URL unless
// allowed: a policy names the URL, the worker fetches it, and these
// addresses answer with the worker's own cloud credentials.
var deniedInventoryNets = []struct {
	net  netip.Prefix
	what string
}{
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (cloud metadata: 169.254.169.254, ECS credentials: 169.254.170.2)"},
	{netip.MustParsePrefix("fe80::/10"), "an IPv6 link-local address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "the EC2 metadata service (IPv6)"},
	{netip.MustParsePrefix("100.100.100.200/32"), "the Alibaba Cloud metadata service"},
	{netip.MustParsePrefix("168.63.129.16/32"), "the Azure WireServer"},
	{netip.MustParsePrefix("0.0.0.0/8"), "the unspecified address (this machine)"},
	{netip.MustParsePrefix("::/128"), "the unspecified address (this machine)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// inventoryAllowNets reads InventoryAllowNetsEnv.
func inventoryAllowNets() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(os.Getenv(InventoryAllowNetsEnv), func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is neither an address nor a CIDR range such as 169.254.10.0/24", InventoryAllowNetsEnv, f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// checkInventoryAddr refuses a denied address that allow does not cover.
func checkInventoryAddr(a netip.Addr, allow []netip.Prefix) error {
	a = a.Unmap().WithZone("")
	check := []netip.Addr{a}
	if nat64.Contains(a) {
		b := a.As16()
		check = append(check, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, c := range check {
		for _, p := range allow {
			if p.Contains(c) {
				return nil
			}
		}
		for _, d := range deniedInventoryNets {
			if d.net.Contains(c) {
				return fmt.Errorf("refusing to fetch an inventory from %s, %s; if this is really where the inventory is served, allow it on the worker with %s=%s", a, d.what, InventoryAllowNetsEnv, a)
			}
		}
	}
	return nil
}

// fetchInventory GETs an inventory URL. The address check runs in the
// dialer's Control hook, on the address actually connected to after name
// resolution, so neither DNS rebinding nor a redirect can reach a refused
// address. It returns the body and the URL as it may be shown (without a
// password).
func fetchInventory(ctx context.Context, source string) ([]byte, string, error) {
	u, err := url.Parse(source)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "inventory URL", fmt.Errorf("fetch inventory: want an http:// or https:// URL with a host")
	}
	shown := u.Redacted()
	fail := func(err error) ([]byte, string, error) {
		return nil, shown, fmt.Errorf("fetch inventory %s: %w", shown, err)
	}
	allow, err := inventoryAllowNets()
	if err != nil {
		return fail(err)
	}
	var mu sync.Mutex
	var refused error // set by the dialer, which may run in parallel (happy eyeballs)
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return err
		}
		if err := checkInventoryAddr(a, allow); err != nil {
			mu.Lock()
			refused = err
			mu.Unlock()
			return err
		}
		return nil
	}}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would dial for us, unchecked
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  20 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > maxInventoryRedirects {
			return fmt.Errorf("more than %d redirects", maxInventoryRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirected to a %s: URL; only http and https are followed", req.URL.Scheme)
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		mu.Lock()
		r := refused
		mu.Unlock()
		if r != nil {
			return fail(r)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already in the message, without a password
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s: %w", inventoryFetchTimeout, err)
		}
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("status %s", resp.Status))
	}
	if resp.ContentLength > inventory.MaxFileSize {
		return fail(fmt.Errorf("larger than %d bytes (Content-Length %d); split the inventory", inventory.MaxFileSize, resp.ContentLength))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, inventory.MaxFileSize+1))
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no complete answer within %s: %w", inventoryFetchTimeout, err)
		}
		return fail(err)
	}
	if len(data) > inventory.MaxFileSize {
		return fail(fmt.Errorf("larger than %d bytes; split the inventory", inventory.MaxFileSize))
	}
	return data, shown, nil
}
