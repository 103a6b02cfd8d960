package domain

// Class is the kind of change an update brings (classification): apt from
// the origin and suite, dnf and zypper from the updateinfo type.
type Class string

// Classes of updates.
const (
	ClassSecurity Class = "security"
	ClassBugfix   Class = "bugfix"
	ClassFeature  Class = "feature"
)

// ClassCritical is not a class of its own but a selector: a security
// update of severity critical. Policies may list it among classes.
const ClassCritical Class = "critical"

// SelectableClasses are the values a policy's patches.classifications
// may hold.
var SelectableClasses = []Class{ClassSecurity, ClassCritical, ClassBugfix, ClassFeature}

// rank orders classes by urgency: a package classified differently on two
// hosts is planned as the most urgent of them.
func (c Class) rank() int {
	switch c {
	case ClassSecurity:
		return 3
	case ClassBugfix:
		return 2
	case ClassFeature:
		return 1
	}
	return 0
}

// StrongerClass returns the more urgent of a and b.
func StrongerClass(a, b Class) Class {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Admits reports whether the selector c (a class or ClassCritical) admits
// an update of class and severity.
func (c Class) Admits(class Class, severity Severity) bool {
	if c == ClassCritical {
		return class == ClassSecurity && severity == SeverityCritical
	}
	return c == class
}
