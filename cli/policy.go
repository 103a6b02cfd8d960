package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// NewCmdPolicy builds `patchflow policy`, the parent of validate and
// explain.
func NewCmdPolicy(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check a patch policy and show what it will do",
		Long: `Check patch policies (apiVersion: patchflow/v1, kind: PatchPolicy) and show
the plan they resolve to. The policy language is described in
docs/policy-reference.md; examples are in policies/examples/.`,
		Args: wrapArgs(cobra.NoArgs),
	}
	cmd.AddCommand(
		NewCmdPolicyValidate(f, nil),
		NewCmdPolicyExplain(f, nil),
	)
	return cmd
}

// PolicyValidateOptions are the arguments of `patchflow policy validate`.
type PolicyValidateOptions struct {
	IO    IOStreams
	Files []string
	JSON  bool
}

// PolicyValidateResult is the `policy validate --json` object.
type PolicyValidateResult struct {
	Files []PolicyFileResult `json:"files"`
}

// PolicyFileResult is the outcome for one policy file. Errors may point into
// the policy's inventory file as well as the policy itself.
type PolicyFileResult struct {
	File   string            `json:"file"`
	Valid  bool              `json:"valid"`
	Errors []*yamldiag.Error `json:"errors"`
	Notes  []string          `json:"notes"` // checks that could not run, and why
}

// NewCmdPolicyValidate builds `patchflow policy validate FILE...`.
func NewCmdPolicyValidate(f *Factory, runF func(*PolicyValidateOptions) error) *cobra.Command {
	opts := &PolicyValidateOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check policy files and print every problem of every file",
		Long: `Check policy files and print every problem of every file, each as
file:line:col: <object>: <problem>, got <value>.

The policy is checked on its own (schema, types, values, cron, time zone,
waves, budgets, package names and globs, a window long enough for one host).
When its inventory is a file that exists (targets.inventory, relative to the
policy), it is read too: selector terms must name groups, hosts and labels of
the inventory, staging must select hosts, and the waves must fit the fleet.

Exit codes: 0 every file is valid, 1 any file has a problem, 2 usage error.`,
		Example: `  patchflow policy validate policies/web.yaml
  patchflow policy validate policies/*.yaml --json`,
		Args: wrapArgs(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return policyValidateRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func policyValidateRun(opts *PolicyValidateOptions) error {
	res := PolicyValidateResult{Files: []PolicyFileResult{}}
	failed := false
	for _, file := range opts.Files {
		r := validatePolicyFile(file)
		failed = failed || !r.Valid
		res.Files = append(res.Files, r)
	}
	if opts.JSON {
		if err := printJSON(opts.IO.Out, res); err != nil {
			return err
		}
	} else {
		for _, r := range res.Files {
			for _, e := range r.Errors {
				termf(opts.IO.ErrOut, "%s\n", e)
			}
			for _, n := range r.Notes {
				termf(opts.IO.ErrOut, "%s: note: %s\n", r.File, n)
			}
			if r.Valid {
				termf(opts.IO.Out, "%s: valid\n", r.File)
			} else {
				termf(opts.IO.Out, "%s: %d problem%s\n", r.File, len(r.Errors), plural(len(r.Errors)))
			}
		}
	}
	if failed {
		return SilentError(ExitFailure)
	}
	return nil
}

// validatePolicyFile checks one file, then its inventory when it can.
func validatePolicyFile(file string) PolicyFileResult {
	r := PolicyFileResult{File: file, Errors: []*yamldiag.Error{}, Notes: []string{}}
	f, err := readPolicyFile(file, policyRead{})
	switch {
	case err != nil:
		var errs yamldiag.Errors
		errors.As(err, &errs)
		r.Errors = append(r.Errors, errs...)
	case f.note != "":
		r.Notes = append(r.Notes, f.note)
	}
	r.Valid = len(r.Errors) == 0
	return r
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
