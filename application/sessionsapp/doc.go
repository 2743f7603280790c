// Package sessionsapp implements sessionsport.Service: opening sessions,
// authenticating bearer tokens with a sliding window, listing, refreshing
// and revoking sessions, and marking expired ones. It imports only
// domain/sessions, domain/shared and ports; the store, cache, token maker,
// audit recorder, clock and meter come in through ports.
//
// # Cache and store
//
// The Store is the truth; the Cache holds what authentication needs, so a
// valid request costs one cache round trip and no database round trip.
//
//   - One round trip: the Cache answers a token with its entry and its
//     revocation tombstone read together, and a shared cache also reads, in
//     that same round trip, what other contexts cache for the session's
//     user (identity's profile view) into the request's
//     sessionsport.ReadAhead, which the inbound adapter puts in the
//     request's context. /auth/me therefore costs one Redis round trip: the
//     profile lookup that follows takes the value read ahead. Nothing about
//     revocation changes: the entry and tombstone are read at every request
//     from the cache every instance shares, exactly as before, and no
//     instance keeps a copy of a session between requests (only which user
//     a token hash belongs to, which never changes, to name the user's
//     keys); what is read ahead is handed over only with a live entry of
//     that same user (never with a tombstone), and
//     serves only the request that read it (a profile change is seen by the
//     next request on every instance: identity's caching user store). The
//     alternatives were weighed and refused: a per-instance copy of sessions
//     or profiles needs a push of every revocation to every instance before
//     the revoking request may answer, and a profile stored inside each
//     session entry must be rewritten in every session of its user on every
//     change, racing the idle-window writes; a server-side (Lua) script
//     finding the user's key itself costs Redis about twenty times the time
//     of the plain read.
//   - Idle clock: every authenticated request moves expires_at in the cache
//     (written when it moved by at least a second, so a session may end up
//     to a second early). The Store's copy (last_seen_at, expires_at) is
//     written at most once per Policy.SyncEvery — min(idle/10, 1 min) — per
//     session, with a conditional update that also notices a revocation.
//     Losing the cache (a Redis restart) therefore costs at most SyncEvery of
//     a session's idle window: the Store's expiry is behind by that much.
//     The cleanup job leaves the same grace before marking a session
//     expired, so it never ends a session the cache still extends.
//   - Revocation (revoke, logout, password change, account deletion) commits
//     in the Store first, together with an outbox row per token hash
//     (AddPurges) and its audit records; after the commit the cache entry
//     is deleted and a tombstone written until the session's absolute
//     expiry, then the outbox rows are deleted. The tombstone is read in the
//     same round trip as the entry, so a request that read the Store just
//     before the revocation committed and re-fills the cache afterwards
//     cannot resurrect the session.
//   - Cache failure: any cache error marks the cache suspect on this
//     instance. A suspect cache is bypassed entirely (every request reads
//     and writes the Store, slower but correct) until Reconcile succeeds:
//     it applies every pending outbox purge, pings the cache, and only then
//     trusts it again — and only if no new cache error happened meanwhile.
//     A purge that failed while the cache was down is thus applied before
//     any entry written before the outage can be served again. Reconcile
//     runs every second (RunReconciler), on every instance, so an instance
//     that never saw the outage also applies another instance's pending
//     purges to the shared cache.
//   - Revocation bound: when the revoking instance cannot reach a cache the
//     others still reach, its purges wait in the outbox. Every instance
//     sharing the cache reads the outbox every Deps.RevocationPoll
//     (PollRevocations) into an in-process deny set, consulted before the
//     cache; a purge missing from a snapshot taken after the revocation
//     committed was applied before it. A snapshot older than two intervals
//     (or incomplete) is not relied on: cache hits are then confirmed with
//     the Store. So no instance accepts a revoked token from its cache later
//     than RevocationBound (two intervals) after the revocation committed,
//     and a valid request still costs no database round trip.
package sessionsapp
