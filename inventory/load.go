package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// Formats an inventory can be read from (Inventory.Format).
const (
	FormatPatchflow   = "patchflow"
	FormatAnsibleINI  = "ansible-ini"
	FormatAnsibleYAML = "ansible-yaml"
)

// Load reads an inventory file: patchflow's own YAML when it starts with
// apiVersion/kind, otherwise an Ansible INI or YAML inventory. Relative
// paths inside it are resolved against the file's directory.
func Load(path string) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf("read inventory: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errorf("read inventory: %w", err)
	}
	if st.IsDir() {
		return nil, errorf("read inventory %s: is a directory; give the inventory file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, errorf("read inventory %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	inv, err := parse(path, filepath.Dir(abs), data, "")
	if inv != nil {
		inv.Source = abs
	}
	return inv, err
}

// Parse reads inventory data; source names it in errors and its directory
// is where relative paths resolve ("" leaves relative paths as written).
func Parse(source string, data []byte) (*Inventory, error) {
	dir := ""
	if source != "" {
		dir = filepath.Dir(source)
	}
	return parse(source, dir, data, "")
}

// parse reads data in the given format, or detects it when format is "".
func parse(source, baseDir string, data []byte, format string) (*Inventory, error) {
	name := source
	if name == "" {
		name = "inventory"
	}
	if len(data) > MaxFileSize {
		return nil, yamldiag.Errors{{File: name, Problem: fmt.Sprintf("file is larger than %d MiB; split the inventory", MaxFileSize>>20)}}
	}
	if what := safetext.Describe(data); what != "" {
		return nil, yamldiag.Errors{{File: name, Problem: fmt.Sprintf("this is %s, not an inventory; give the inventory file (patchflow YAML or Ansible INI/YAML)", what)}}
	}
	if line, col, b, bad := safetext.InvalidUTF8(data); bad {
		return nil, yamldiag.Errors{{File: name, Line: line, Col: col, Problem: fmt.Sprintf("byte %#x is not UTF-8; save the file as UTF-8", b)}}
	}
	// Editors on Windows may start a file with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if format == "" {
		format = detectFormat(source, data)
	}
	var m *model
	switch format {
	case FormatAnsibleINI:
		m = newModel(name, baseDir, true)
		parseINI(data, m)
	default:
		m = newModel(name, baseDir, true)
		root := document.Parse(m.errs, data)
		if root == nil {
			return nil, m.errs.Err()
		}
		if format == FormatPatchflow || hasKey(root, "apiVersion") || hasKey(root, "kind") {
			format = FormatPatchflow
			m.ansible = false
			parseNative(root, m)
		} else {
			format = FormatAnsibleYAML
			parseAnsibleYAML(root, m)
		}
	}
	inv, err := m.resolve(source)
	if err != nil {
		return nil, err
	}
	inv.Format = format
	return inv, nil
}

var (
	yamlGroupLineRe = regexp.MustCompile(`^[^\s=\[\]#;:]+\s*:\s*(#.*)?$`)
	yamlHeaderRe    = regexp.MustCompile(`^(apiVersion|kind)\s*:`)
)

// detectFormat picks YAML or INI from the file name, else from the first
// meaningful line: YAML inventories open with a document marker, a flow
// mapping, apiVersion/kind, or a group key with nothing after its colon.
func detectFormat(source string, data []byte) string {
	switch strings.ToLower(filepath.Ext(source)) {
	case ".yaml", ".yml", ".json":
		return FormatAnsibleYAML
	case ".ini", ".cfg":
		return FormatAnsibleINI
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "---") || line[0] == '{' || yamlHeaderRe.MatchString(line) || yamlGroupLineRe.MatchString(line) {
			return FormatAnsibleYAML
		}
		return FormatAnsibleINI
	}
	return FormatAnsibleINI
}
