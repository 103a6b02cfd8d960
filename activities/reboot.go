package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// bootIDCmd reads what identifies one boot of a host: the kernel's random
// boot ID (new on every kernel boot) and the start time of PID 1 (new when
// a container or namespace host restarts its init without a new kernel).
var bootIDCmd = transport.Command{Args: []string{"cat", "/proc/sys/kernel/random/boot_id", "/proc/1/stat"}, Timeout: 10 * time.Second}

// rebootCmd detaches the reboot so the command returns before the
// connection drops; the script is a constant, nothing is interpolated.
var rebootCmd = transport.Command{
	Args:    []string{"sh", "-c", "nohup sh -c 'sleep 1; reboot' >/dev/null 2>&1 &"},
	Sudo:    true,
	Timeout: 30 * time.Second,
}

func (a *Activities) bootID(ctx context.Context, conn transport.Conn, host string) (string, error) {
	res, err := conn.Run(ctx, bootIDCmd)
	if err := transport.Check(res, err, host, bootIDCmd); err != nil {
		return "", err
	}
	return parseBootID(string(res.Stdout))
}

// parseBootID joins the boot ID with PID 1's start time (field 22 of
// /proc/1/stat, counted after the parenthesised command name).
func parseBootID(out string) (string, error) {
	id, stat, ok := strings.Cut(strings.TrimSpace(out), "\n")
	i := strings.LastIndexByte(stat, ')')
	if !ok || i < 0 {
		return "", fmt.Errorf("read boot id: unexpected output %q", out)
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 20 {
		return "", fmt.Errorf("read boot id: short /proc/1/stat %q", stat)
	}
	return strings.TrimSpace(id) + "/" + fields[19], nil
}

// Reboot records the host's boot ID and starts a reboot. It returns the
// old boot ID for WaitForHost.
func (a *Activities) Reboot(ctx context.Context, in workflows.HostInput) (workflows.RebootResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	s, err := a.open(ctx, in.Inventory, in.Host)
	if err != nil {
		return workflows.RebootResult{}, err
	}
	id, err := a.bootID(ctx, s.conn, in.Host)
	if err != nil {
		return workflows.RebootResult{}, classify(err)
	}
	res, err := s.conn.Run(ctx, rebootCmd)
	if err := transport.Check(res, err, in.Host, rebootCmd); err != nil {
		return workflows.RebootResult{}, classify(err)
	}
	a.d.Pool.Forget(in.Host)
	return workflows.RebootResult{BootID: id}, nil
}

// WaitForHost polls the host until it answers with a boot ID other than
// in.BootID, heartbeating each try; the activity's StartToClose timeout
// bounds the wait.
func (a *Activities) WaitForHost(ctx context.Context, in workflows.HostInput) error {
	ctx, done := a.beat(ctx)
	defer done()
	h, err := a.lookup(in.Inventory, in.Host)
	if err != nil {
		return err
	}
	last := "not tried yet"
	for {
		a.d.Pool.Forget(in.Host)
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := a.d.Pool.Get(tctx, h)
		if err == nil {
			var id string
			id, err = a.bootID(tctx, conn, in.Host)
			if err == nil && id != in.BootID {
				cancel()
				return nil
			}
			if err == nil {
				err = fmt.Errorf("still on boot %s", id)
			}
		}
		cancel()
		last = err.Error()
		progress(ctx, last)
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to come back after reboot: %w (last: %s)", in.Host, ctx.Err(), last)
		case <-time.After(a.d.RebootPoll):
		}
	}
}
