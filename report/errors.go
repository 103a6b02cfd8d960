package report

import (
	"errors"
	"fmt"
)

// maxErrors bounds how many problems one Build or Validate lists: enough
// to fix a batch at once, never a wall of text from a broken feed.
const maxErrors = 20

// problems collects every problem of an input, so one run names them all.
type problems struct {
	errs []error
	more int
}

func (p *problems) add(format string, args ...any) {
	if len(p.errs) >= maxErrors {
		p.more++
		return
	}
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

// err returns nil or every problem joined, prefixed with what was checked.
func (p *problems) err(what string) error {
	if len(p.errs) == 0 {
		return nil
	}
	errs := p.errs
	if p.more > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("and %d more problems", p.more))
	}
	return fmt.Errorf("%s: %w", what, errors.Join(errs...))
}
