package advisories

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxRecordBytes bounds one JSON record file (an OSV record or a
// vuln-list-debian entry); the largest real ones are a few MB.
const maxRecordBytes = 16 << 20

// maxArchiveEntries bounds the files of one zip or directory source.
const maxArchiveEntries = 2_000_000

// walkRecords calls fn for every *.json file of path, which may be a
// directory (walked recursively, in name order), a zip archive (by
// content, whatever its name) or a single JSON file. Each file is limited
// to maxRecordBytes and all of them together to max bytes; fn gets the
// file's name inside path. An error from fn stops the walk.
func walkRecords(path string, max int64, what string, fn func(name string, r io.Reader) error) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	total := &budget{left: max, what: what, max: max}
	if fi.IsDir() {
		return walkDir(path, total, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	var magic [4]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 4 && string(magic[:]) == "PK\x03\x04" {
		return walkZip(f, fi.Size(), total, fn)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fn(filepath.Base(path), total.reader(f, filepath.Base(path)))
}

// budget is the byte allowance shared by every file of one source.
type budget struct {
	left    int64
	what    string
	max     int64
	entries int
}

func (b *budget) reader(r io.Reader, name string) io.Reader {
	return &budgetReader{r: newLimitReader(r, maxRecordBytes, b.what+": "+name), b: b}
}

func (b *budget) count() error {
	b.entries++
	if b.entries > maxArchiveEntries {
		return fmt.Errorf("%s: more than %d files: %w", b.what, maxArchiveEntries, ErrTooLarge)
	}
	return nil
}

type budgetReader struct {
	r io.Reader
	b *budget
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if br.b.left <= 0 {
		return 0, fmt.Errorf("%s: %w (%d bytes in all); raise max_bytes for this source if the data is genuine", br.b.what, ErrTooLarge, br.b.max)
	}
	if int64(len(p)) > br.b.left {
		p = p[:br.b.left+1]
	}
	n, err := br.r.Read(p)
	br.b.left -= int64(n)
	if br.b.left < 0 {
		return 0, fmt.Errorf("%s: %w (%d bytes in all); raise max_bytes for this source if the data is genuine", br.b.what, ErrTooLarge, br.b.max)
	}
	return n, err
}

func walkDir(root string, b *budget, fn func(string, io.Reader) error) error {
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".json") {
			if err := b.count(); err != nil {
				return err
			}
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", b.what, err)
	}
	sort.Strings(names)
	for _, p := range names {
		rel, _ := filepath.Rel(root, p)
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("%s: %w", b.what, err)
		}
		err = fn(filepath.ToSlash(rel), b.reader(f, rel))
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func walkZip(f io.ReaderAt, size int64, b *budget, fn func(string, io.Reader) error) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("%s: read zip: %v", b.what, err)
	}
	files := make([]*zip.File, 0, len(zr.File))
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		if err := b.count(); err != nil {
			return err
		}
		files = append(files, zf)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, zf := range files {
		if zf.UncompressedSize64 > maxRecordBytes {
			return fmt.Errorf("%s: %s: %w (declares %d bytes, the limit of one record is %d)", b.what, quote(zf.Name), ErrTooLarge, zf.UncompressedSize64, maxRecordBytes)
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %s: %v", b.what, quote(zf.Name), err)
		}
		err = fn(zf.Name, b.reader(rc, zf.Name))
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
