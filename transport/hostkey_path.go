package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkKnownHostsPath refuses a known_hosts path that could make host key
// checking meaningless. The file must be a regular file owned by the user
// patchflow runs as (the worker's user) and not writable by every user: a
// device such as /dev/null swallows what trust on first use writes, so
// every connection would be a "first" one, and a file someone else
// controls lets them vouch for any key. A file that does not exist yet is
// fine for strict checking (it knows no host); with trust on first use it
// is created, so its directory must exist and belong to that user too.
// Directories are never created.
func checkKnownHostsPath(file string, tofu bool) error {
	st, err := os.Stat(file)
	switch {
	case err == nil:
		return checkOwnedRegular(file, st)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("known_hosts file %s: %w", file, err)
	case !tofu:
		return nil
	}
	dir := filepath.Dir(file)
	dst, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("known_hosts file %s does not exist and its directory cannot be used for trust on first use: %w; create the directory (mode 0700) first", file, err)
	}
	if !dst.IsDir() {
		return fmt.Errorf("known_hosts file %s: %s is not a directory", file, dir)
	}
	if uid, ok := ownerOf(dst); ok && uid != os.Geteuid() {
		return fmt.Errorf("known_hosts file %s would be created in %s, which belongs to uid %d, not to uid %d that patchflow runs as; use a known_hosts file in a directory of that user", file, dir, uid, os.Geteuid())
	}
	if dst.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("known_hosts file %s would be created in %s, which every user may write to; use a directory only its owner can write", file, dir)
	}
	return nil
}

// checkOwnedRegular checks an existing known_hosts file (st from Stat, so a
// symlink is judged by its target).
func checkOwnedRegular(file string, st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("known_hosts file %s is not a regular file (%s); host keys cannot be verified against it (with /dev/null every key would be trusted every time): name a real known_hosts file", file, kindOfMode(st.Mode()))
	}
	if uid, ok := ownerOf(st); ok && uid != os.Geteuid() {
		return fmt.Errorf("known_hosts file %s belongs to uid %d, not to uid %d that patchflow runs as; whoever owns it decides which host keys are trusted: use a file of that user (chown it, or copy it)", file, uid, os.Geteuid())
	}
	if st.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("known_hosts file %s is writable by every user, who could add any host key; chmod o-w %s", file, file)
	}
	return nil
}

func ownerOf(st fs.FileInfo) (int, bool) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), true
	}
	return 0, false
}

func kindOfMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
