package activities

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

const defaultCheckTimeout = 30 * time.Second

// RunChecks runs the checks after a wave's bake: per host (up to 8 hosts
// at once) for command checks and checks naming "{host}", once for the
// others (a wave-level failure is reported with Host ""). An unreachable
// host fails its checks.
func (a *Activities) RunChecks(ctx context.Context, in workflows.ChecksInput) (workflows.ChecksResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	var perHost, once []domain.Check
	for _, c := range in.Checks {
		if perHostCheck(c) {
			perHost = append(perHost, c)
		} else {
			once = append(once, c)
		}
	}
	var (
		mu  sync.Mutex
		res workflows.ChecksResult
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	for _, c := range once {
		if err := a.runCheck(ctx, nil, c, in.Before); err != nil {
			res.Failed = append(res.Failed, workflows.HostProblem{Problem: fmt.Sprintf("check %s: %v", c.Name, err)})
		}
	}
	if len(perHost) == 0 {
		return res, nil
	}
	for _, host := range in.Hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var problems []string
			s, err := a.open(ctx, in.Inventory, host)
			if err != nil {
				problems = []string{"checks: " + message(err)}
			} else {
				problems = a.runChecks(ctx, s, perHost, in.Before)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range problems {
				res.Failed = append(res.Failed, workflows.HostProblem{Host: host, Problem: p})
			}
		}()
	}
	wg.Wait()
	return res, nil
}

func perHostCheck(c domain.Check) bool {
	return c.Type == "command" || strings.Contains(c.Address+c.URL+c.Query, "{host}")
}

// runChecks runs each check against one host and returns one line per
// failed check.
func (a *Activities) runChecks(ctx context.Context, s *session, checks []domain.Check, before map[string]float64) []string {
	var problems []string
	for _, c := range checks {
		if err := a.runCheck(ctx, s, c, before); err != nil {
			problems = append(problems, fmt.Sprintf("check %s: %v", c.Name, err))
		}
	}
	return problems
}

// runCheck runs one check against s's host, or once when s is nil.
func (a *Activities) runCheck(ctx context.Context, s *session, c domain.Check, before map[string]float64) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	addr := ""
	if s != nil {
		addr = s.host.Address
	}
	subst := func(v string) string { return domain.ExpandHost(v, addr) }
	switch c.Type {
	case "command":
		if s == nil {
			return fmt.Errorf("a command check needs a host")
		}
		cmd := transport.Command{Args: c.Command, Sudo: c.Sudo, Timeout: timeout}
		res, err := s.conn.Run(ctx, cmd)
		return transport.Check(res, err, s.host.Name, cmd)
	case "tcp":
		conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", subst(c.Address))
		if err != nil {
			return fmt.Errorf("connect %s: %w", subst(c.Address), err)
		}
		return conn.Close()
	case "http":
		url := subst(c.URL)
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(cctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp.Body.Close()
		want := c.Expect
		if want == 0 {
			want = http.StatusOK
		}
		if resp.StatusCode != want {
			return fmt.Errorf("GET %s: status %d, want %d", url, resp.StatusCode, want)
		}
		return nil
	case "promql":
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return promqlCheck(cctx, c, subst(c.Query), before)
	}
	return fmt.Errorf("unknown check type %q (want command, tcp, http or promql)", c.Type)
}
