// Package organizations is the domain of the organizations context: the
// Organization aggregate with its memberships and pending invitations, the
// Invitation lifecycle (pending, then accepted, declined, cancelled or
// expired), the Role and Slug values, and the domain events the application
// hands to audit.
//
// Every authorization rule of the context lives here, on the aggregate's
// verbs: a non-member gets ErrNotFound (never a hint that the organization
// exists), a member whose role does not allow an action gets a Forbidden
// error, and the last-owner invariant is a Conflict. The aggregate is loaded
// in part, so a change costs the same at ten members and at a hundred
// thousand: its own fields, its owner and member counts (which carry the
// rules that span every membership), and only the memberships and pending
// invitations the command names (closed invitations are history the store
// keeps but never loads). Stores serialize changes of one organization by
// locking its row, which also guards the counts.
//
// It imports only the standard library, google/uuid and domain/shared; it
// never reads the clock or generates ids.
package organizations
