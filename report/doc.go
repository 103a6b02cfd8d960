// Package report holds patchflow's posture reports and renders them: the
// compliance report (where every host stands against its policy's required
// fixes and SLAs, and the trend over the retained assessments), the CVE
// audit (every host's state for each asked CVE, with the evidence the state
// rests on) and the evidence pack of one patch cycle.
//
// The package is plain data and pure functions. It knows nothing of
// Temporal: callers fill the Build inputs (ComplianceInput, CVEAuditInput,
// CycleEvidenceInput) from whatever holds the facts, and Build derives the
// rest (host states, SLA states, totals, the ranking) by the rules in
// docs/reports.md. Every renderer is deterministic: the same report gives
// the same bytes, whatever the machine's clock, zone or map order.
//
// Renderings:
//   - WriteJSON: the model, indented, snake_case fields in a fixed order,
//     valid against schemas/report/*.schema.json.
//   - WriteComplianceTable, WriteCVEAuditTable, WriteCycleEvidenceTable:
//     aligned text for a terminal; every cell goes through TerminalSafe.
//   - WriteComplianceHTML, WriteCycleEvidenceHTML: one self-contained file
//     (inline CSS and SVG, no script, a Content-Security-Policy that forbids
//     every fetch), bounded in size by HTMLOptions.
package report
