package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// The inventory that exhausted 2 GB (3,000 nested groups, 30,000 hosts,
// 266 KB) is refused with the depth limit, naming the chain.
func TestGroupNestingLimit(t *testing.T) {
	data := nestedINI(3000, 30000)
	if len(data) < 250_000 {
		t.Fatalf("test inventory is %d bytes, want the issue's ~266 KB", len(data))
	}
	_, err := Parse("deep.ini", data)
	want := `deep.ini:5998:1: group "g3000": child groups are nested 3000 levels deep (g1 > g2 > g3 > ... (2995 more) > g2999 > g3000); at most 50 levels are supported: flatten the group tree`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %.400v\nwant %s", err, want)
	}
	inv, err := Parse("ok.ini", nestedINI(MaxGroupDepth, 1000))
	if err != nil {
		t.Fatalf("%d levels refused: %v", MaxGroupDepth, err)
	}
	if h, _ := inv.Lookup("h999"); len(h.Groups) != MaxGroupDepth {
		t.Errorf("deepest host is in %d groups, want %d", len(h.Groups), MaxGroupDepth)
	}
	if _, err := Parse("deep.ini", nestedINI(MaxGroupDepth+1, 51)); err == nil || !strings.Contains(err.Error(), "nested 51 levels deep") {
		t.Errorf("%d levels: %v", MaxGroupDepth+1, err)
	}
}

func TestGroupCountLimit(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= MaxGroups; i++ {
		fmt.Fprintf(&b, "[g%d]\nh%d\n", i, i)
	}
	_, err := Parse("many.ini", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), `many.ini:20001:1: group "g10000": inventory defines more than 10000 groups; split it`) {
		t.Errorf("error = %.300v", err)
	}
}

// Group vars are copied to every host: 100 vars on 50,000 hosts is past
// the label limit, refused rather than built.
func TestLabelCountLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("[web]\nh[00001:50000]\n[web:vars]\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "v%d=x\n", i)
	}
	_, err := Parse("labels.ini", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "hosts carry more than 4000000 labels together") {
		t.Errorf("error = %.300v", err)
	}
}

// A dense group graph (every group a child of every group of the layer
// above) within the depth limit is bounded by the ancestry limit.
func TestDenseGroupGraphLimit(t *testing.T) {
	var b strings.Builder
	const layers, width = 25, 100
	for l := 1; l < layers; l++ {
		for p := 0; p < width; p++ {
			fmt.Fprintf(&b, "[l%d_%d:children]\n", l, p)
			for c := 0; c < width; c++ {
				fmt.Fprintf(&b, "l%d_%d\n", l+1, c)
			}
		}
	}
	for c := 0; c < width; c++ {
		fmt.Fprintf(&b, "[l%d_%d]\nh%d\n", layers, c, c)
	}
	_, err := Parse("dense.ini", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "the group structure is too dense") {
		t.Errorf("error = %.300v", err)
	}
}

// Invalid UTF-8 is reported at its line and column in every format.
func TestInvalidUTF8IsPositioned(t *testing.T) {
	for name, doc := range map[string]string{
		"hosts.ini": "[web]\nweb1 owner=caf\xe9\n",
		"inv.yaml":  "all:\n  hosts:\n    web1: {owner: caf\xe9}\n",
	} {
		_, err := Parse(name, []byte(doc))
		want := map[string]string{"hosts.ini": "hosts.ini:2:15: byte 0xe9 is not UTF-8; save the file as UTF-8", "inv.yaml": "inv.yaml:3:22: byte 0xe9 is not UTF-8; save the file as UTF-8"}[name]
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
}

// Merge keys work in both YAML formats, as docs/inventory.md says.
func TestInventoryMergeKeys(t *testing.T) {
	for name, doc := range map[string]string{
		"native.yaml":  "apiVersion: patchflow/v1\nkind: Inventory\nhosts:\n  web1: &h {user: deploy, labels: &l {env: prod}}\n  web2:\n    <<: *h\n    address: 10.0.0.2\n    labels:\n      <<: *l\n      tier: web\n",
		"ansible.yaml": "all:\n  vars: &v {env: prod}\n  hosts:\n    web1: &h {ansible_user: deploy}\n    web2:\n      <<: [*h, {tier: web}]\n      ansible_host: 10.0.0.2\n",
	} {
		inv, err := Parse(name, []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h, _ := inv.Lookup("web2")
		if h.User != "deploy" || h.Address != "10.0.0.2" || h.Labels["env"] != "prod" || h.Labels["tier"] != "web" {
			t.Errorf("%s: web2 = %+v", name, h)
		}
	}
}
