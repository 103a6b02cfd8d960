package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/planfile"
	"github.com/patchflow/patchflow/workflows"
)

// CyclePlanOptions are the flags of `patchflow cycle plan`.
type CyclePlanOptions struct {
	IO         IOStreams
	Factory    *Factory
	PolicyPath string
	Out        string
	Markdown   string
	JSON       bool
	Now        func() time.Time
}

// NewCmdCyclePlan builds `patchflow cycle plan`.
func NewCmdCyclePlan(f *Factory, runF func(*CyclePlanOptions) error) *cobra.Command {
	opts := &CyclePlanOptions{IO: f.IO, Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "plan -p POLICY -o PLAN.json",
		Short: "Scan and write the pinned plan of a policy, to review and then apply exactly",
		Long: `Run a dry run of the policy that also fingerprints every planned host, and write
its plan: the packages and exact versions each host gets, in which wave, what
each update fixes, and the state each host was planned from. The file is
stable JSON meant to be reviewed and diffed; --markdown also writes it as a
pull request comment.

patchflow cycle start -p POLICY --plan PLAN.json then runs exactly that plan,
once, and refuses, changing no host, when the policy or a host's state changed
since, or when the plan is older than the policy's approval.plan_max_age.

A reviewed plan holds at most 2,000 hosts; plan a selection of a larger fleet.
When nothing is pending, no file is written and the command says so.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.PolicyPath == "" || opts.Out == "" {
				return UsageError("a policy and an output file are required: patchflow cycle plan -p POLICY -o PLAN.json")
			}
			if runF != nil {
				return runF(opts)
			}
			return cyclePlanRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.PolicyPath, "policy", "p", "", "policy file (YAML)")
	cmd.Flags().StringVarP(&opts.Out, "output", "o", "", "where to write the plan (JSON)")
	cmd.Flags().StringVar(&opts.Markdown, "markdown", "", "also write the plan as Markdown, for a pull request comment")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the dry run's result as JSON")
	return cmd
}

func cyclePlanRun(opts *CyclePlanOptions) error {
	text, err := os.ReadFile(opts.PolicyPath)
	if err != nil {
		return fmt.Errorf("read policy: %w", err)
	}
	in, err := specFromPolicy(opts.PolicyPath, opts.IO)
	if err != nil {
		return err
	}
	in.Spec.DryRun = true
	spec := in.Spec
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	id := workflows.CycleID(spec.Policy, opts.Now())
	in.MakePlan = &workflows.MakePlan{PolicySHA256: planfile.PolicySHA256(text)}
	if _, err := startCycleInput(ctx, c, id, "plan of policy "+spec.Policy, in); err != nil {
		return err
	}
	termf(opts.IO.ErrOut, "planning with dry run %s (Ctrl-C stops watching, not the dry run)\n", id)
	var progress *cycleProgress
	if !opts.JSON {
		progress = newCycleProgress(opts.IO.ErrOut)
	}
	r, err := watchCycle(ctx, c, id, progress)
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := printJSON(opts.IO.Out, r); err != nil {
			return err
		}
	}
	switch {
	case r.State != domain.CyclePlanned:
		return fmt.Errorf("dry run %s %s: %s; no plan written", id, r.State, r.Reason)
	case r.Reviewed == nil || r.Reviewed.Hosts() == 0:
		termf(opts.IO.ErrOut, "nothing to patch: no host has a planned update pending; no plan written\n")
		return nil
	}
	f, err := planfile.Build(*r.Reviewed, text)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(opts.Out, f.Write); err != nil {
		return err
	}
	if opts.Markdown != "" {
		if err := writeFileAtomic(opts.Markdown, f.Markdown); err != nil {
			return err
		}
	}
	if !opts.JSON {
		printCycleSummary(opts.IO.Out, r)
	}
	termf(opts.IO.ErrOut, "plan %s written to %s: %d hosts in %d waves, %d packages pinned\napply it: patchflow cycle start -p %s --plan %s\n",
		f.SHA256, opts.Out, len(f.Hosts), len(f.Waves), len(f.Entries), opts.PolicyPath, opts.Out)
	return nil
}

// readPlanFor reads a reviewed plan and checks it was made from this
// policy file, unchanged.
func readPlanFor(planPath, policyPath string, spec domain.CycleSpec) (*planfile.File, error) {
	pf, err := os.Open(planPath)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer pf.Close()
	plan, err := planfile.Read(pf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", planPath, err)
	}
	text, err := os.ReadFile(policyPath)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	if err := plan.CheckPolicy(spec.Policy, text); err != nil {
		return nil, fmt.Errorf("%s: %w", planPath, err)
	}
	return plan, nil
}

// writeFileAtomic writes a file through a temporary file in the same
// directory, so a reader never sees half a plan.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".patchflow-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(buf.Bytes())
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
