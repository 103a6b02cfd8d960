package activities

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

const defaultCheckTimeout = 30 * time.Second

// RunChecks runs the checks on every host (up to 8 hosts at once) and lists
// the failures; an unreachable host fails its checks.
func (a *Activities) RunChecks(ctx context.Context, in workflows.ChecksInput) (workflows.ChecksResult, error) {
	var (
		mu  sync.Mutex
		res workflows.ChecksResult
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	for _, host := range in.Hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var problems []string
			s, err := a.open(ctx, in.Inventory, host)
			if err != nil {
				problems = []string{"checks: " + err.Error()}
			} else {
				problems = a.runChecks(ctx, s, in.Checks)
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

// runChecks runs each check against one host and returns one line per
// failed check.
func (a *Activities) runChecks(ctx context.Context, s *session, checks []workflows.Check) []string {
	var problems []string
	for _, c := range checks {
		if err := a.runCheck(ctx, s, c); err != nil {
			problems = append(problems, fmt.Sprintf("check %s: %v", c.Name, err))
		}
	}
	return problems
}

func (a *Activities) runCheck(ctx context.Context, s *session, c workflows.Check) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	switch c.Type {
	case "command":
		cmd := transport.Command{Args: c.Command, Sudo: c.Sudo, Timeout: timeout}
		res, err := s.conn.Run(ctx, cmd)
		return transport.Check(res, err, s.host.Name, cmd)
	case "tcp":
		addr := strings.ReplaceAll(c.Address, "{host}", s.host.Address)
		conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("connect %s: %w", addr, err)
		}
		return conn.Close()
	case "http":
		url := strings.ReplaceAll(c.URL, "{host}", s.host.Address)
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
	}
	return fmt.Errorf("unknown check type %q (want command, tcp or http)", c.Type)
}
