package topology_test

import (
	"context"
	"testing"
	"time"

	"github.com/patchflow/patchflow/topology"
)

// BenchmarkBringUp starts the whole topology from an empty state directory
// (initdb, schemas, server, namespace, three workers polling) and stops it;
// the server binaries come from the cache, so the first run builds them
// outside the timer only if an earlier test did not:
//
//	go test -run '^$' -bench BringUp -benchtime 3x ./topology
func BenchmarkBringUp(b *testing.B) {
	requireTopology(b)
	bin := patchflowBinary(b)
	ctx := context.Background()
	var stop time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		topo, err := topology.New(topology.Options{Dir: stateDir(b), Patchflow: bin, Workers: 3})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := topo.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s := time.Now()
		if err := topo.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		stop += time.Since(s)
	}
	b.ReportMetric(stop.Seconds()/float64(b.N), "stop-s/op")
}
