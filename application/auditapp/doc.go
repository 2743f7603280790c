// Package auditapp implements the audit context's use cases: the Recorder
// every other context calls inside its unit of work, the read API (a user's
// own records, an organization's records for its owners and admins), and
// the operators' export and chain verification.
//
// It imports only domain/audit, domain/shared and ports; the store, the
// unit of work, the clock, the meter and the organizations context's Access
// come in through ports.
package auditapp
