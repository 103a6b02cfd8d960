package advisories

import (
	"time"
)

// ParseOptions tune a parser.
type ParseOptions struct {
	// Source is the configured source name stamped on every record.
	Source string
	// MaxBytes bounds the input (after decompression); 0 is the kind's
	// default (DefaultMaxBytes).
	MaxBytes int64
	// Releases, when set, keeps only records of these releases (a fleet
	// of bookworm hosts needs no buster data in memory).
	Releases []Release
}

// DefaultMaxBytes is the default input limit of one source: the Debian
// tracker dump is ~70 MB and EPSS ~15 MB uncompressed, KEV ~1.5 MB.
const DefaultMaxBytes = 512 << 20

func (o ParseOptions) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

// wants reports whether records of rel are kept.
func (o ParseOptions) wants(rel Release) bool {
	if len(o.Releases) == 0 {
		return true
	}
	for _, r := range o.Releases {
		if r == rel {
			return true
		}
	}
	return false
}

// Stats is what a parser read: records emitted, records skipped with why,
// and the data's own as-of time when it has one.
type Stats struct {
	Records int       `json:"records"`
	Skips   Skips     `json:"skipped"`
	AsOf    time.Time `json:"as_of,omitzero"`
}

// Emit receives each record a parser reads.
type Emit func(Record)

// debianCodenames maps Debian release numbers to codenames: OSV keys
// Debian by number ("Debian:12"), the tracker by codename.
var debianCodenames = map[string]string{
	"7": "wheezy", "8": "jessie", "9": "stretch", "10": "buster", "11": "bullseye",
	"12": "bookworm", "13": "trixie", "14": "forky", "15": "duke",
}

// validCodename accepts tracker release keys such as "bookworm" or "sid".
func validCodename(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// validPackage accepts package names of dpkg and rpm (letters, digits and
// +-._~^), at most 200 bytes.
func validPackage(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '+' || c == '-' || c == '.' || c == '_' || c == '~' || c == '^':
		default:
			return false
		}
	}
	return true
}
