package localfleet

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// aptKind provides Debian hosts driven by apt.
type aptKind struct {
	base *base
}

func (k *aptKind) name() string     { return "apt" }
func (k *aptKind) lowerDir() string { return k.base.rootfs }

func (k *aptKind) release() {
	k.base.release()
}

func (k *aptKind) prepare(ctx context.Context, f *Fleet) error {
	b, err := ensureBase(ctx, f.cfg.Logf)
	if err != nil {
		return err
	}
	k.base = b
	f.SecurityDetails = b.security
	for _, s := range b.security {
		f.SecurityUpdates = append(f.SecurityUpdates, s.Name)
	}
	return buildAptRepo(ctx, f, b)
}

// customize points apt at the fleet repository only, signed by the fleet
// key, and authorises the fleet key for root and both deploy users.
func (k *aptKind) customize(f *Fleet, h *host) error {
	repo := fmt.Sprintf("http://%s:%d/", f.repoAddr, repoPort)
	sources := "# the patchflow test fleet repository (nothing else is reachable)\n" +
		fmt.Sprintf("deb [signed-by=%s] %s %s main\n", aptKeyring, repo, securitySuite) +
		fmt.Sprintf("deb [signed-by=%s] %s %s main\n", aptKeyring, repo, fleetSuite)
	key, err := os.ReadFile(f.repoKeyPath)
	if err != nil {
		return fmt.Errorf("localfleet: host %s: read repository key: %w", h.Name, err)
	}
	files := []struct {
		path string
		data []byte
	}{
		{"etc/apt/sources.list", []byte(sources)},
		{aptKeyring[1:], key},
	}
	for _, fl := range files {
		if err := writeInRoot(h.root, fl.path, fl.data, 0o644, 0, 0); err != nil {
			return fmt.Errorf("localfleet: host %s: %w", h.Name, err)
		}
	}
	return nil
}

// writeInRoot writes a file below root, creating parent directories, owned
// by uid:gid.
func writeInRoot(root, rel string, data []byte, mode os.FileMode, uid, gid int) error {
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

// account is a user of a host's /etc/passwd.
type account struct {
	uid, gid int
	home     string
}

func lookupUser(root, name string) (account, error) {
	f, err := os.Open(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return account{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) < 7 || p[0] != name {
			continue
		}
		uid, err1 := strconv.Atoi(p[2])
		gid, err2 := strconv.Atoi(p[3])
		if err1 != nil || err2 != nil {
			break
		}
		return account{uid, gid, p[5]}, nil
	}
	return account{}, fmt.Errorf("user %s not in %s/etc/passwd", name, root)
}

// authorize installs the fleet key for root and the deploy users: the same
// for every kind of host.
func authorize(root string, pub []byte) error {
	for _, u := range []string{"root", DeployUser, DeployPasswordUser} {
		a, err := lookupUser(root, u)
		if err != nil {
			return err
		}
		dir := filepath.Join(root, a.home, ".ssh")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
		if err := os.Lchown(dir, a.uid, a.gid); err != nil {
			return err
		}
		if err := writeInRoot(root, filepath.Join(a.home, ".ssh/authorized_keys"), pub, 0o600, a.uid, a.gid); err != nil {
			return err
		}
	}
	return nil
}
