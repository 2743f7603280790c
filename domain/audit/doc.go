// Package audit is the domain of the audit context: the append-only log of
// security-relevant facts the other contexts report.
//
// An Entry is one validated fact (who, what, on which target, in which
// organization, from where, with a small JSON of details that never holds a
// secret). Sealing places records in the hash chain: each sealed Record
// carries its global sequence number, the hash of its predecessor and its
// own hash, SHA-256 over a canonical, length-prefixed encoding of the
// sequence, the previous hash and every field. A ChainVerifier walks
// records in sequence order in constant memory and reports the first
// broken link.
//
// The chain is global rather than per organization: most records (logins,
// account changes, failed attempts) belong to no organization, and one chain
// proves that no record anywhere was removed.
//
// # Writing and sealing are two steps
//
// A record is written unsealed (no sequence, no links) in the transaction
// of the change it describes, so the change and its record commit or roll
// back together, and writers share no lock. A sealer then chains committed
// records: in one transaction it takes the chain head (exactly one sealer
// holds it at a time), reads the committed unsealed records, gives them the
// next sequences and links (SealPending), writes those and moves the head.
// A sealer that fails or is stopped mid-batch rolls back whole; the next
// batch starts from the same head.
//
// The chain order is the sealing order, not the insert order, and that is
// what makes sealing sound under concurrent writers. Ids, insert positions
// and times are assigned before commit, so on PostgreSQL a record with a
// lower position can commit after the sealer has already sealed higher
// ones; a sealer that sealed "everything below a high-water mark", or
// everything older than a safety margin, would skip such a record for
// ever. So every batch takes every committed record that is still
// unsealed, whatever its position, and a record that commits later is
// simply in a later batch (a store may keep a mark, as long as it also
// keeps the positions below it that may still commit: see auditpg). So
// every committed record is sealed eventually, none twice (a record is
// sealed only while unsealed, under the head's lock), and the verifier
// follows the sequence, which has no gaps.
//
// What the chain proves: a sealed record altered (its hash), altered with
// its hash recomputed (the next record's link), removed (a gap in the
// sequence) or removed from the end (the head), and a record sealed outside
// the sealer (a sequence beyond the head); the verifier also reports
// records the sealer can never reach (passed over behind its back). What it cannot prove is the
// short span between a record's commit and its seal (a second under load):
// someone able to bypass the database's append-only guard could drop or
// alter an unsealed record then, as anyone with that power could always
// have written records the application never made. The verifier reports
// how many records await sealing and since when.
//
// It imports only the standard library, google/uuid and domain/shared; ids
// and times come in as arguments.
package audit
