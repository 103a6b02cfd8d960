package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// captureCPU takes a CPU profile of the worker (through its loopback pprof
// endpoint) and, at the same time, of this process (the embedded server
// and the simulated hosts), seconds long (default 30), into dir as
// <name>-worker.pprof and <name>-bench.pprof. It returns the files
// written; a profile that cannot be taken is left out (this process's
// when `go test -cpuprofile` already profiles it).
func captureCPU(ctx context.Context, w *SimWorker, dir, name string, seconds int) []string {
	if seconds <= 0 {
		seconds = 30
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil
	}
	var files []string
	self := filepath.Join(dir, name+"-bench.pprof")
	f, err := os.Create(self)
	selfOK := err == nil && pprof.StartCPUProfile(f) == nil
	if p, err := fetchProfile(ctx, w, fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), filepath.Join(dir, name+"-worker.pprof")); err == nil {
		files = append(files, p)
	}
	if selfOK {
		pprof.StopCPUProfile()
		files = append(files, self)
	}
	if f != nil {
		f.Close()
		if !selfOK {
			os.Remove(self)
		}
	}
	return files
}

// saveHeap saves the worker's heap profile as <name>-worker-heap.pprof.
func saveHeap(ctx context.Context, w *SimWorker, dir, name string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return fetchProfile(ctx, w, "/debug/pprof/heap", filepath.Join(dir, name+"-worker-heap.pprof"))
}

func fetchProfile(ctx context.Context, w *SimWorker, path, dest string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+w.Pprof+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("profile worker %d: %w", w.PID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("profile worker %d: %s", w.PID, resp.Status)
	}
	f, err := os.Create(dest)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "", err
	}
	return dest, f.Close()
}
