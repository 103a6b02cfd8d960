package localfleet

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// startRepo serves f.RepoDir over HTTP from the repository's own network
// namespace, at 10.213.<Subnet>.2:8080.
func (f *Fleet) startRepo(ctx context.Context) error {
	ns := repoNS(f.Name)
	if err := attach(ctx, ns, repoVeth(f.Name), bridgeName(f.Name), f.repoAddr); err != nil {
		return err
	}
	py, err := systemPython()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(f.cfg.Dir, "repo.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("localfleet: open repository log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("ip", "netns", "exec", ns, py, "-m", "http.server",
		"--bind", f.repoAddr, "--directory", f.RepoDir, strconv.Itoa(repoPort))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("localfleet: start the repository server: %w", err)
	}
	f.repoPID = cmd.Process.Pid
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		cmd.Wait()
	}()
	if err := waitTCP(ctx, net.JoinHostPort(f.repoAddr, strconv.Itoa(repoPort))); err != nil {
		return fmt.Errorf("localfleet: repository server: %w (log: %s)", err, filepath.Join(f.cfg.Dir, "repo.log"))
	}
	return nil
}
