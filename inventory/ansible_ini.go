package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// maxExpanded bounds the host names all ranges of one file may expand to,
// counting names listed again in other groups, so many repeated large
// ranges cannot cost unbounded time.
const maxExpanded = 10 * MaxHosts

var iniSectionRe = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$`)

// expand expands a host pattern within the file's budget, reporting a
// problem at p; past the budget it reports once and expands nothing more.
func (m *model) expand(pattern string, p pos, object string) ([]string, bool) {
	if m.expanded > maxExpanded {
		return nil, false
	}
	names, err := expandHostPattern(pattern, MaxHosts)
	if err != nil {
		m.errs.Add(p, object, "%v", err)
		return nil, false
	}
	m.expanded += len(names)
	if m.expanded > maxExpanded {
		m.errs.Add(p, object, "host patterns in this file expand to more than %d names; split the inventory", maxExpanded)
		return nil, false
	}
	return names, true
}

// splitPatternPort splits "web1:2222" or "web[01:20]:2222" into the
// pattern and the port, as Ansible reads host lines.
func splitPatternPort(s string) (pattern, port string) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.IndexByte(s[i:], ']') >= 0 || i == len(s)-1 {
		return s, ""
	}
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return s, ""
		}
	}
	if strings.Count(s[:i], "[") != strings.Count(s[:i], "]") {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// parseINI reads an Ansible INI inventory: host lines with inline vars,
// [group], [group:children] and [group:vars] sections.
func parseINI(data []byte, m *model) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), MaxFileSize+1)
	group, state := m.group(GroupUngrouped, pos{}), "hosts"
	lineNo := 0
	for sc.Scan() {
		lineNo++
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		p := pos{Line: lineNo, Col: strings.Index(raw, line[:1]) + 1}
		if line[0] == '[' {
			sec := iniSectionRe.FindStringSubmatch(line)
			if sec == nil {
				m.errs.Add(p, "", "invalid section header %q; want [group], [group:children] or [group:vars]", line)
				group, state = nil, "skip"
				continue
			}
			name, kind := sec[1], sec[2]
			if err := ValidGroupName(name); err != nil {
				m.errs.Add(p, "", "%v", err)
				group, state = nil, "skip"
				continue
			}
			switch kind {
			case "", "hosts":
				state = "hosts"
			case "children", "vars":
				state = kind
			default:
				m.errs.Add(p, groupObj(name), "unknown section type %q%s; want [%s], [%s:children] or [%s:vars]", kind, suggest(kind, []string{"children", "vars"}), name, name, name)
				group, state = nil, "skip"
				continue
			}
			group = m.group(name, p)
			if state != "vars" {
				group.defined = true
			} else if group.ref == "" {
				group.ref = fmt.Sprintf("given a [%s:vars] section", name)
			}
			continue
		}
		switch state {
		case "hosts":
			iniHostLine(m, group, raw, line, p)
		case "children":
			words, err := shellSplitComments(line, true)
			if err != nil || len(words) != 1 {
				m.errs.Add(p, groupObj(group.name), "a [%s:children] line names one group, got %q", group.name, line)
				continue
			}
			m.addChild(group, words[0], p)
		case "vars":
			k, v, ok := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				m.errs.Add(p, groupObj(group.name), "want key=value in [%s:vars], got %q", group.name, line)
				continue
			}
			m.setGroupVar(group, k, iniValue(strings.TrimSpace(v)), p)
		}
	}
	if err := sc.Err(); err != nil {
		m.errs.Add(pos{Line: lineNo + 1, Col: 1}, "", "cannot read line: %v", err)
	}
}

// iniHostLine reads "pattern[:port] key=value ..." in a host section.
func iniHostLine(m *model, group *mGroup, raw, line string, p pos) {
	words, err := shellSplitComments(line, true)
	if err != nil {
		m.errs.Add(p, groupObj(group.name), "%v", err)
		return
	}
	if len(words) == 0 {
		return
	}
	pattern, port := splitPatternPort(words[0])
	type hv struct {
		k, v string
		p    pos
	}
	var vars []hv
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		wp := pos{Line: p.Line, Col: strings.Index(raw, k) + 1}
		if !ok || k == "" {
			m.errs.Add(wp, hostObj(pattern), "want key=value after the host name, got %q", w)
			return
		}
		vars = append(vars, hv{k, v, wp})
	}
	names, ok := m.expand(pattern, p, groupObj(group.name))
	if !ok {
		return
	}
	for _, name := range names {
		h := m.host(name, p)
		if h == nil {
			continue
		}
		if group.name != GroupAll {
			h.direct[group.name] = true
		}
		if port != "" {
			m.setHostVar(h, "ansible_port", port, p)
		}
		for _, v := range vars {
			m.setHostVar(h, v.k, v.v, v.p)
		}
	}
}

// iniValue strips one pair of matching quotes and a trailing " # comment"
// from a [group:vars] value.
func iniValue(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}
