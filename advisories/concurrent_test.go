package advisories

import (
	"sync"
	"testing"
)

// The DB is read by many scan activities at once; run with -race too.
func TestConcurrentMatching(t *testing.T) {
	db := testDB(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				rep := db.AssessInstalled(bookworm, []InstalledPackage{{Name: "libpcre2-8-0", SourceName: "pcre2", Version: "10.42-1"}, {Name: "liblzma5", SourceName: "xz-utils", Version: "5.4.1-1+deb12u2"}}, "")
				if rep.FixAvailable != 2 {
					t.Errorf("fix available %d", rep.FixAvailable)
				}
				db.AssessUpdate(bookworm, UpdateInput{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u2", Candidate: "2.36-9+deb12u3"})
			}
		}()
	}
	wg.Wait()
}
