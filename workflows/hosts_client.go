package workflows

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
)

// AllHosts pages through a cycle's hosts query and returns every host in
// the given states (all hosts when none are given). It is the client side
// of QueryHosts: a running worker answers it, for a finished cycle too.
func AllHosts(ctx context.Context, c client.Client, cycleID string, states ...domain.HostState) (HostsPage, error) {
	q := HostsQuery{Limit: 1000, States: states}
	var all HostsPage
	for {
		v, err := c.QueryWorkflow(ctx, cycleID, "", QueryHosts, q)
		if err != nil {
			return all, fmt.Errorf("list hosts of cycle %s: %w", cycleID, err)
		}
		var page HostsPage
		if err := v.Get(&page); err != nil {
			return all, fmt.Errorf("decode hosts of cycle %s: %w", cycleID, err)
		}
		all.Total = page.Total
		all.Hosts = append(all.Hosts, page.Hosts...)
		if len(page.Hosts) == 0 || len(all.Hosts) >= page.Total {
			return all, nil
		}
		q.Offset = len(all.Hosts)
	}
}
