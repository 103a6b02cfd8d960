package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/posture"
)

// policyNamePattern is a policy's metadata.name (policies validates it).
var policyNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// postureScopes turns the -p arguments of the report verbs into policy
// scopes: a policy file (its inventory then lists the hosts never
// assessed and its SLA applies) or a policy name (its latest assessment
// says both). None means every assessed policy.
func postureScopes(args []string, io IOStreams) ([]posture.PolicyScope, error) {
	var out []posture.PolicyScope
	seen := map[string]bool{}
	for _, a := range args {
		var s posture.PolicyScope
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			f, err := readPolicyFile(a, policyRead{})
			if err != nil {
				return nil, err
			}
			for _, w := range f.warnings {
				termf(io.ErrOut, "warning: %s\n", w)
			}
			spec := f.spec
			s = posture.PolicyScope{Name: spec.Policy, Spec: &spec}
		} else if policyNamePattern.MatchString(a) {
			s = posture.PolicyScope{Name: a}
		} else {
			return nil, UsageError("-p %s: no such policy file, and not a policy name (a-z, 0-9 and -)", safetext.Excerpt(a))
		}
		if seen[s.Name] {
			return nil, UsageError("-p: policy %s given twice", s.Name)
		}
		seen[s.Name] = true
		out = append(out, s)
	}
	return out, nil
}

// readPosture reads what a report verb needs from the assessments kept in
// Temporal: gather runs with a posture reader over the policies given
// with -p; its notes go to the error stream, and its failure names what
// was read (what) and of which policies.
func readPosture[T any](f *Factory, io IOStreams, now reportClock, policies []string, what string,
	gather func(context.Context, *posture.Reader, []posture.PolicyScope) (T, []string, error)) (T, error) {
	var none T
	scopes, err := postureScopes(policies, io)
	if err != nil {
		return none, err
	}
	ctx, c, done, err := f.connect()
	if err != nil {
		return none, err
	}
	defer done()
	in, notes, err := gather(ctx, &posture.Reader{C: c, Now: now.now}, scopes)
	printNotes(io, notes)
	if err != nil {
		return none, temporalError(fmt.Errorf("%s of %s: %w", what, describeScope(scopes), err))
	}
	return in, nil
}

// policyArgs is the -p arguments as a report's generator line shows them:
// file names without their directories.
func policyArgs(p []string) []string {
	var out []string
	for _, v := range p {
		out = append(out, "-p", filepath.Base(v))
	}
	return out
}

// printNotes tells the user, on the error stream, what a report could not
// read; its effect is in the report (hosts not counted as compliant).
func printNotes(io IOStreams, notes []string) {
	for _, n := range notes {
		termf(io.ErrOut, "note: %s\n", n)
	}
}

// generatorLine is the report footer's "what made this".
func generatorLine(f *Factory, args []string) string {
	s := "patchflow " + f.Version
	for _, a := range args {
		s += " " + a
	}
	return s
}

// reportClock is the "now" of a report; tests fix it.
type reportClock func() time.Time

func (c reportClock) now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

func describeScope(scopes []posture.PolicyScope) string {
	if len(scopes) == 0 {
		return "every assessed policy"
	}
	s := ""
	for i, p := range scopes {
		if i > 0 {
			s += ", "
		}
		s += p.Name
	}
	return fmt.Sprintf("policy %s", s)
}
