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
// with all memberships and its pending invitations (closed ones are history
// the store keeps but never loads) because the invariants span them; stores
// serialize changes of one organization by locking its row.
//
// It imports only the standard library, google/uuid and domain/shared; it
// never reads the clock or generates ids.
package organizations
