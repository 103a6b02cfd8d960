package pkgmgr

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// zypper prints no package list for a patch in XML (`zypper info -t
// patch` prints a human-readable Conflicts table even with --xmlout), so
// which package versions a patch brings comes from the repository's own
// updateinfo.xml, which libzypp keeps in its raw metadata cache
// (/var/cache/zypp/raw/<alias>/repodata). It is rpm-md's standard format,
// the one createrepo_c and SUSE's build service write.

// patchPackage is one package version a patch brings.
type patchPackage struct {
	Name, Arch string
	EVR        string // [epoch:]version-release, zero epoch left out
}

// patchInfo is one <update> of updateinfo.xml: a patch and its packages.
type patchInfo struct {
	ID       string
	Packages []patchPackage
}

// uiUpdate mirrors the parts of an updateinfo <update> patchflow reads.
// Category, severity, flags and issues come from zypper's list-patches.
type uiUpdate struct {
	ID       string      `xml:"id"`
	Packages []uiPackage `xml:"pkglist>collection>package"`
}

type uiPackage struct {
	Name    string `xml:"name,attr"`
	Epoch   string `xml:"epoch,attr"`
	Version string `xml:"version,attr"`
	Release string `xml:"release,attr"`
	Arch    string `xml:"arch,attr"`
}

// maxUpdateinfoBytes bounds the decompressed updateinfo.xml read from a
// host; SUSE's largest are some tens of MB.
const maxUpdateinfoBytes = 1 << 30

// parseUpdateinfo streams an updateinfo.xml (compressed with gzip, zstd or
// bzip2, or plain) and returns the patches keep accepts, in file order.
// It holds one <update> at a time, so memory stays small however long
// the file is.
func parseUpdateinfo(data []byte, keep func(id string) bool) ([]patchInfo, error) {
	r, err := decompress(data)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d := xml.NewDecoder(bufio.NewReader(io.LimitReader(r, maxUpdateinfoBytes)))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var out []patchInfo
	root := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !root {
				return nil, errors.New("no <updates> element: not an updateinfo.xml")
			}
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("updateinfo.xml: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !root {
			if start.Name.Local != "updates" {
				return nil, fmt.Errorf("updateinfo.xml starts with <%s>, want <updates>", excerpt(start.Name.Local))
			}
			root = true
			continue
		}
		if start.Name.Local != "update" {
			if err := d.Skip(); err != nil {
				return out, fmt.Errorf("updateinfo.xml: %w", err)
			}
			continue
		}
		var u uiUpdate
		if err := d.DecodeElement(&u, &start); err != nil {
			return out, fmt.Errorf("updateinfo.xml <update>: %w", err)
		}
		u.ID = strings.TrimSpace(u.ID)
		if u.ID == "" || !keep(u.ID) {
			continue
		}
		p := patchInfo{ID: u.ID}
		for _, pk := range u.Packages {
			// Source packages are never installed.
			if pk.Name == "" || pk.Version == "" || pk.Arch == "src" || pk.Arch == "nosrc" {
				continue
			}
			evr := pk.Version
			if pk.Release != "" {
				evr += "-" + pk.Release
			}
			if pk.Epoch != "" && pk.Epoch != "0" {
				evr = pk.Epoch + ":" + evr
			}
			p.Packages = append(p.Packages, patchPackage{Name: pk.Name, Arch: pk.Arch, EVR: evr})
		}
		out = append(out, p)
	}
}

// decompress recognises the compression by its magic bytes; repomd.xml
// names the file, and SUSE repositories use gzip, newer ones zstd.
func decompress(data []byte) (io.ReadCloser, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return gzip.NewReader(bytes.NewReader(data))
	case bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	case bytes.HasPrefix(data, []byte("BZh")):
		return io.NopCloser(bzip2.NewReader(bytes.NewReader(data))), nil
	case bytes.HasPrefix(data, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return nil, errors.New("updateinfo compressed with xz, which patchflow does not read (gzip, zstd and bzip2 are read)")
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// repomdUpdateinfo returns the updateinfo location a repomd.xml names
// ("repodata/<sum>-updateinfo.xml.gz"), or "" when the repository has none.
func repomdUpdateinfo(data []byte) (string, error) {
	var md struct {
		XMLName xml.Name `xml:"repomd"`
		Data    []struct {
			Type     string `xml:"type,attr"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
		} `xml:"data"`
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if err := d.Decode(&md); err != nil {
		return "", fmt.Errorf("repomd.xml: %w", err)
	}
	for _, x := range md.Data {
		if x.Type == "updateinfo" {
			return x.Location.Href, nil
		}
	}
	return "", nil
}
