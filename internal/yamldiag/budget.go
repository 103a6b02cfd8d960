package yamldiag

import "gopkg.in/yaml.v3"

// Budget bounds the nodes a decoder visits in one file, counting every
// alias expansion, so a small file whose anchors expand to millions of
// values (an alias bomb) is refused instead of exhausting memory.
type Budget struct {
	// Max is the number of visits allowed.
	Max int
	// Object names the file's kind in the refusal ("policy").
	Object  string
	visited int
}

// Visit counts n and reports false once the budget is spent; the first
// visit past it records the refusal at n.
func (b *Budget) Visit(l *List, n *yaml.Node) bool {
	b.visited++
	if b.visited <= b.Max {
		return true
	}
	if b.visited == b.Max+1 {
		l.Add(Pos{n.Line, n.Column}, b.Object, "file expands to more than %d YAML values through anchors and aliases; refusing to read it", b.Max)
	}
	return false
}
