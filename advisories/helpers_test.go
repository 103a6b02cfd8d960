package advisories

import (
	"archive/zip"
	"io"
	"os"
	"testing"
	"time"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func zipOf(t testing.TB, w io.Writer, files map[string][]byte) {
	t.Helper()
	zw := zip.NewWriter(w)
	for name, data := range files {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

type timeEq string

func (s timeEq) Equal(v any) bool {
	tm, ok := v.(time.Time)
	want, err := time.Parse(time.RFC3339, string(s))
	return ok && err == nil && tm.Equal(want)
}
