package topology

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
)

// serverPortOffsets are the ports the Temporal server takes relative to its
// frontend port (deploy/local/topology's server_ports): gRPC of frontend,
// history, matching and the worker service, the frontend's HTTP port and
// the four membership ports.
var serverPortOffsets = []int{0, 1, 2, 6, 10, -300, -299, -298, -294}

// freePorts picks ports on 127.0.0.1 that nothing listens on: one for
// PostgreSQL, a frontend port whose whole server block is free, and
// workers consecutive metrics ports. Another process may take one before
// the script starts; the script then names it.
func freePorts(workers int) (pg, temporal, metrics int, err error) {
	taken := map[int]bool{}
	block := func(base int, offsets []int) bool {
		for _, o := range offsets {
			if p := base + o; taken[p] || !portFree(p) {
				return false
			}
		}
		for _, o := range offsets {
			taken[base+o] = true
		}
		return true
	}
	metricsOffsets := make([]int, max(workers, 1))
	for i := range metricsOffsets {
		metricsOffsets[i] = i
	}
	pick := func(offsets []int) (int, error) {
		for range 200 {
			// 20300-32000: below Linux's ephemeral range (32768+), and the
			// server stores membership ports (300 below the frontend's) as
			// a PostgreSQL smallint, at most 32767.
			if base := 20300 + rand.IntN(11700); block(base, offsets) {
				return base, nil
			}
		}
		return 0, errors.New("topology: found no free block of loopback ports in 20000-32000")
	}
	if temporal, err = pick(serverPortOffsets); err != nil {
		return
	}
	if pg, err = pick([]int{0}); err != nil {
		return
	}
	metrics, err = pick(metricsOffsets)
	return
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
