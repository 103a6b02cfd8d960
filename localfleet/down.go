package localfleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Down stops every host and the repository, and removes the fleet's
// namespaces, mounts, bridge and host directories. It ends only processes
// the fleet started. Calling it again returns the first result.
func (f *Fleet) Down() error {
	f.downOnce.Do(func() { f.downErr = f.down() })
	return f.downErr
}

func (f *Fleet) down() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	defer func() {
		f.cfg.Logf("localfleet: fleet %s down in %s", f.Name, time.Since(start).Round(time.Millisecond))
	}()
	close(f.stop)
	for _, h := range f.order {
		h.mu.Lock()
		h.stopping = true
		switch {
		case h.initPID != 0:
			// Its unshare parent reaps it and exits, and supervise reaps
			// unshare: nothing is left for the machine's init to reap.
			syscall.Kill(h.initPID, syscall.SIGKILL)
		case h.cmd != nil:
			// Booting: unshare --kill-child passes SIGKILL on to the host.
			h.cmd.Process.Signal(syscall.SIGKILL)
		}
		h.mu.Unlock()
	}
	if f.repoPID > 0 {
		syscall.Kill(f.repoPID, syscall.SIGKILL)
	}
	var errs []error
	nss, err := fleetNamespaces(ctx, f.Name)
	if err != nil {
		errs = append(errs, err)
	}
	if err := killNamespaces(ctx, nss); err != nil {
		errs = append(errs, err)
	}
	f.wg.Wait()
	for _, k := range f.kinds {
		k.release()
	}
	errs = append(errs, unmountHosts(f.cfg.Dir), teardownNetwork(ctx, f.Name, nss))
	if err := os.RemoveAll(filepath.Join(f.cfg.Dir, "hosts")); err != nil {
		errs = append(errs, fmt.Errorf("localfleet: remove host dirs: %w", err))
	}
	f.subnetLock.Close()
	f.nameLock.Close()
	return errors.Join(errs...)
}

// cleanupLeftovers removes what a crashed run of a fleet with the same name
// left: processes in its namespaces, mounts, namespaces, bridge, host dirs.
func cleanupLeftovers(ctx context.Context, cfg Config) error {
	nss, err := fleetNamespaces(ctx, cfg.Name)
	if err != nil {
		return err
	}
	if len(nss) > 0 {
		cfg.Logf("localfleet: fleet %s: removing leftovers of an earlier run: %s", cfg.Name, strings.Join(nss, " "))
	}
	if err := killNamespaces(ctx, nss); err != nil {
		return err
	}
	if err := unmountHosts(cfg.Dir); err != nil {
		return err
	}
	if err := teardownNetwork(ctx, cfg.Name, nss); err != nil {
		return err
	}
	for _, d := range []string{"hosts", "repo"} {
		if err := os.RemoveAll(filepath.Join(cfg.Dir, d)); err != nil {
			return fmt.Errorf("localfleet: remove leftovers in %s: %w", cfg.Dir, err)
		}
	}
	return nil
}

// unmountHosts unmounts every mount below dir/hosts, deepest first, as
// /proc/self/mountinfo lists them.
func unmountHosts(dir string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("localfleet: read mounts: %w", err)
	}
	prefix := filepath.Join(dir, "hosts") + "/"
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], prefix) {
			mounts = append(mounts, f[4])
		}
	}
	var errs []error
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := syscall.Unmount(mounts[i], 0); err != nil {
			if err2 := syscall.Unmount(mounts[i], syscall.MNT_DETACH); err2 != nil {
				errs = append(errs, fmt.Errorf("localfleet: unmount %s: %w", mounts[i], err))
			}
		}
	}
	return errors.Join(errs...)
}
