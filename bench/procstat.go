package bench

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// procCPU returns a process's CPU time in seconds (user + system), and
// with children also that of its children it waited for; 0 when
// unreadable.
func procCPU(pid int, children bool) float64 {
	f := procStatFields(pid)
	if len(f) < 17 {
		return 0
	}
	// Fields after the command name: state is field 3, utime 14, stime 15,
	// cutime 16, cstime 17 (1-based, proc(5)).
	sum := 0.0
	for i, field := range []int{14, 15, 16, 17} {
		if i >= 2 && !children {
			break
		}
		v, err := strconv.ParseFloat(f[field-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum / clockTicks
}

// procStatFields splits /proc/<pid>/stat into its fields, the command
// name (which may hold spaces) kept as one.
func procStatFields(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(data)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return nil
	}
	return append([]string{strings.TrimSpace(s[:open]), s[open+1 : close]}, strings.Fields(s[close+1:])...)
}

// treeCPU is the CPU time of a process and all its live descendants, plus
// what its exited children used (cutime/cstime): PostgreSQL's postmaster
// and its backends.
func treeCPU(root int) float64 {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := procStatFields(pid); len(f) > 3 {
			if pp, err := strconv.Atoi(f[3]); err == nil {
				parent[pid] = pp
			}
		}
	}
	total := 0.0
	for pid := range parent {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += procCPU(pid, pid == root)
				break
			}
		}
	}
	return total
}

// procMemMiB reads a process's current and peak resident set (VmRSS,
// VmHWM) from /proc; zeros when unreadable.
func procMemMiB(pid int) (rss, hwm float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 1 {
			continue
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			total += info.Size()
		}
		return nil
	})
	return total
}

// LoadAvg is /proc/loadavg's three load averages ("unknown" when it
// cannot be read), printed beside every table: the machine is shared.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
