package localfleet

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTwentyHostsComeUpQuickly measures what a larger fleet costs: the
// time to boot it, memory per host (PSS of every process in the host) and
// disk per host (its overlay upper directory).
func TestTwentyHostsComeUpQuickly(t *testing.T) {
	Require(t)
	const n = 20
	start := time.Now()
	f := Start(t, Config{Name: "tf", Subnet: 1, Hosts: n})
	up := time.Since(start)
	t.Logf("fleet of %d hosts up in %s", n, up.Round(time.Millisecond))
	if up > time.Minute {
		t.Errorf("%d hosts took %s to come up, want well under a minute", n, up)
	}
	var pss, procs int
	for _, h := range f.order {
		for _, pid := range nsPIDs(t.Context(), h.ns) {
			kb, err := pssKB(pid)
			if err != nil {
				continue // ended meanwhile
			}
			pss += kb
			procs++
		}
	}
	du, err := exec.Command("du", "-sk", f.order[0].dir+"/upper").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("memory per host: %.1f MiB PSS (%d processes in %d hosts); disk per host: %s KiB",
		float64(pss)/1024/n, procs, n, strings.Fields(string(du))[0])
	for _, h := range f.Hosts {
		mustSSH(t, f, h, "root", "true")
	}
}

// pssKB reads a process's proportional set size.
func pssKB(pid int) (int, error) {
	fh, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if w := strings.Fields(sc.Text()); len(w) >= 2 && w[0] == "Pss:" {
			return strconv.Atoi(w[1])
		}
	}
	return 0, fmt.Errorf("no Pss in smaps_rollup of %d", pid)
}
