// Package audit is the domain of the audit context: the append-only log of
// security-relevant facts the other contexts report.
//
// An Entry is one validated fact (who, what, on which target, in which
// organization, from where, with a small JSON of details that never holds a
// secret). Sealing places entries in the hash chain: each Record carries its
// global sequence number, the hash of its predecessor and its own hash,
// SHA-256 over a canonical, length-prefixed encoding of the sequence, the
// previous hash and every field. A ChainVerifier walks records in sequence
// order in constant memory and reports the first broken link.
//
// The chain is global rather than per organization: most records (logins,
// account changes, failed attempts) belong to no organization, and one chain
// proves that no record anywhere was removed. The price is that appends are
// serialized on the chain head, which the stores lock until the caller's
// transaction commits.
//
// It imports only the standard library, google/uuid and domain/shared; ids
// and times come in as arguments.
package audit
