// Package posture reads where an estate stands from Temporal: the
// assessments (Assess workflows and their AssessShard children), the risk
// exceptions (ExceptionWorkflow), the host workflows that patched hosts,
// and the schedules and parked cycles that will. It fills the inputs of
// package report (ComplianceInput, CVEAuditInput), which holds every rule;
// this package only gathers facts.
//
// Nothing here loads a whole estate history at once: visibility is paged,
// an assessment's facts are read one shard at a time (at most 500 hosts)
// and reduced to what the report needs before the next shard is read, and
// earlier assessments are read only for the hosts a question is about.
// A fact that cannot be read (a failed shard, an inventory that is not
// readable here) is reported as such, never counted as compliant.
package posture
