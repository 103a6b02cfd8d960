package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docCommand is a patchflow command line found in the docs.
type docCommand struct {
	file string
	line int
	args []string
}

// docCommands extracts every `patchflow ...` line from the code blocks of
// the README and docs/, so the docs cannot name a command or flag that
// does not exist.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	files, _ := filepath.Glob("../docs/*.md")
	files = append(files, "../README.md")
	var out []docCommand
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		inBlock := false
		for n := 1; sc.Scan(); n++ {
			raw := sc.Text()
			if strings.HasPrefix(strings.TrimSpace(raw), "```") {
				inBlock = !inBlock
				continue
			}
			if !inBlock && !strings.HasPrefix(raw, "    ") {
				continue
			}
			line := strings.TrimSpace(raw)
			line = strings.TrimPrefix(line, "sudo ")
			for _, prefix := range []string{"bin/patchflow ", "patchflow "} {
				if strings.HasPrefix(line, prefix) {
					if i := strings.Index(line, " #"); i >= 0 {
						line = line[:i]
					}
					args := strings.Fields(strings.TrimPrefix(line, prefix))
					// Prose and diagrams ("patchflow CLI --> ...") are not
					// commands: a command starts with a lowercase verb or a flag.
					if len(args) > 0 && strings.Trim(args[0], "abcdefghijklmnopqrstuvwxyz-") != "" {
						continue
					}
					out = append(out, docCommand{file, n, args})
				}
			}
		}
		f.Close()
	}
	return out
}

func TestDocsNameRealCommandsAndFlags(t *testing.T) {
	cmds := docCommands(t)
	if len(cmds) < 10 {
		t.Fatalf("found only %d patchflow commands in the docs; is the extraction broken?", len(cmds))
	}
	for _, dc := range cmds {
		root := NewCmdRoot(NewFactory("test"))
		cmd, rest, err := root.Find(dc.args)
		if err != nil {
			t.Errorf("%s:%d: patchflow %s: %v", dc.file, dc.line, strings.Join(dc.args, " "), err)
			continue
		}
		if cmd == root && len(dc.args) > 0 && !strings.HasPrefix(dc.args[0], "-") {
			t.Errorf("%s:%d: patchflow %s: unknown command %q", dc.file, dc.line, strings.Join(dc.args, " "), dc.args[0])
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%s:%d: patchflow %s: %v", dc.file, dc.line, strings.Join(dc.args, " "), err)
		}
	}
}
