package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// GenesisHash is the previous hash of the first record.
var GenesisHash = strings.Repeat("0", 64)

// The hash versions start every hashed encoding, so the encoding can
// evolve without breaking stored chains: v1 is every field up to the
// request id; v2 adds the correlation id after it and is used exactly when
// a record has one, so a record stored before correlation ids existed (or
// without one) still hashes as v1.
const (
	hashVersion1 = "authy.audit.v1"
	hashVersion2 = "authy.audit.v2"
)

// ChainHead is the last link of the chain: its sequence and hash. The zero
// sequence with GenesisHash is the empty chain.
type ChainHead struct {
	sequence int64
	hash     string
}

// Genesis is the head of the empty chain.
func Genesis() ChainHead { return ChainHead{hash: GenesisHash} }

// RehydrateChainHead loads a stored head.
func RehydrateChainHead(sequence int64, hash string) ChainHead {
	return ChainHead{sequence: sequence, hash: hash}
}

// Sequence is the last record's sequence (0 when empty).
func (h ChainHead) Sequence() int64 { return h.sequence }

// Hash is the last record's hash (GenesisHash when empty).
func (h ChainHead) Hash() string { return h.hash }

// Seal places entries after head, in order, and returns the records and the
// new head, as if each had been written unsealed and sealed at once.
func Seal(head ChainHead, entries []Entry) ([]Record, ChainHead) {
	pending := make([]Record, 0, len(entries))
	for _, e := range entries {
		pending = append(pending, e.Unsealed())
	}
	// Records fresh from entries are unsealed, so sealing cannot fail.
	out, next, _ := SealPending(head, pending)
	return out, next
}

// SealPending places unsealed records after head, in the order given: each
// gets the next sequence, its predecessor's hash and its own hash over its
// content as given. It returns the sealed records and the new head, or
// ErrAlreadySealed (and nothing) when one of them is sealed already. The
// sealer calls it on the batch a store read while holding the sealing lock.
func SealPending(head ChainHead, pending []Record) ([]Record, ChainHead, error) {
	out := make([]Record, 0, len(pending))
	next := head
	for _, p := range pending {
		if p.Sealed() || p.state.PrevHash != "" || p.state.Hash != "" {
			return nil, head, ErrAlreadySealed
		}
		s := p.State()
		s.Sequence = next.sequence + 1
		s.PrevHash = next.hash
		s.Hash = computeHash(s)
		out = append(out, Record{state: s})
		next = ChainHead{sequence: s.Sequence, hash: s.Hash}
	}
	return out, next, nil
}

// Continues reports whether recs are a well-formed continuation of head:
// consecutive sequences, each linked to its predecessor and carrying its
// correct hash.
func Continues(head ChainHead, recs []Record) bool {
	for _, r := range recs {
		if r.state.Sequence != head.sequence+1 || r.state.PrevHash != head.hash || r.state.Hash != r.ComputeHash() {
			return false
		}
		head = ChainHead{sequence: r.state.Sequence, hash: r.state.Hash}
	}
	return true
}

// SealsPending reports whether sealed is exactly pending placed after head:
// the same records, in the same order, with the same content (a store
// writes only the sequence and the links, so a hash over anything else
// would not match the row), continuing head. Stores check it before they
// write a batch, as a last guard against a batch sealed on a stale head or
// over altered content.
func SealsPending(head ChainHead, pending, sealed []Record) bool {
	if len(pending) != len(sealed) {
		return false
	}
	for i := range pending {
		if pending[i].Sealed() || !sameContent(pending[i].state, sealed[i].state) {
			return false
		}
	}
	return Continues(head, sealed)
}

func sameContent(a, b RecordState) bool {
	return a.ID == b.ID && a.Pos == b.Pos && a.OccurredAt.Equal(b.OccurredAt) &&
		a.ActorType == b.ActorType && a.ActorID == b.ActorID && a.Action == b.Action &&
		a.TargetType == b.TargetType && a.TargetID == b.TargetID && a.OrganizationID == b.OrganizationID &&
		a.ClientIP == b.ClientIP && a.UserAgent == b.UserAgent && a.RequestID == b.RequestID &&
		a.CorrelationID == b.CorrelationID && string(a.Details) == string(b.Details)
}

// HeadOf returns the head after the last of recs (head itself when empty).
func HeadOf(head ChainHead, recs []Record) ChainHead {
	if len(recs) == 0 {
		return head
	}
	last := recs[len(recs)-1].state
	return ChainHead{sequence: last.Sequence, hash: last.Hash}
}

// computeHash is SHA-256 over a length-prefixed encoding of the version,
// sequence, previous hash and every field, so no two different records
// share an encoding (no field can bleed into its neighbour, and the version
// says how many fields follow).
func computeHash(s RecordState) string {
	version := hashVersion1
	if s.CorrelationID != "" {
		version = hashVersion2
	}
	h := sha256.New()
	for _, f := range []string{
		version,
		strconv.FormatInt(s.Sequence, 10),
		s.PrevHash,
		s.ID.String(),
		strconv.FormatInt(s.OccurredAt.UnixMicro(), 10),
		s.ActorType,
		s.ActorID,
		s.Action,
		s.TargetType,
		s.TargetID,
		s.OrganizationID,
		s.ClientIP,
		s.UserAgent,
		s.RequestID,
	} {
		writeField(h, []byte(f))
	}
	if version == hashVersion2 {
		writeField(h, []byte(s.CorrelationID))
	}
	writeField(h, s.Details)
	return hex.EncodeToString(h.Sum(nil))
}

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// Break is the first broken link a ChainVerifier found.
type Break struct {
	// Sequence and ID name the record where the chain breaks (ID is zero
	// when the break is records missing after the last one).
	Sequence int64
	ID       uuid.UUID
	// Problem says what differs, in words an operator can act on.
	Problem string
}

// String renders the break for an operator.
func (b Break) String() string {
	if b.ID == uuid.Nil {
		return fmt.Sprintf("sequence %d: %s", b.Sequence, b.Problem)
	}
	return fmt.Sprintf("sequence %d (id %s): %s", b.Sequence, b.ID, b.Problem)
}

// ChainVerifier checks records fed in sequence order, keeping only the last
// link, so a chain of any length is verified in constant memory.
type ChainVerifier struct {
	last    ChainHead
	checked int64
	broken  *Break
}

// NewChainVerifier starts at the empty chain.
func NewChainVerifier() *ChainVerifier { return &ChainVerifier{last: Genesis()} }

// Check verifies r against its predecessor and returns the first break (and
// the same break on every later call).
func (v *ChainVerifier) Check(r Record) *Break {
	if v.broken != nil {
		return v.broken
	}
	s := r.state
	want := v.last.sequence + 1
	switch {
	case s.Sequence > want:
		v.broken = &Break{Sequence: s.Sequence, ID: s.ID, Problem: fmt.Sprintf(
			"records are missing before it: expected sequence %d after %d, found %d", want, v.last.sequence, s.Sequence)}
	case s.Sequence < want:
		v.broken = &Break{Sequence: s.Sequence, ID: s.ID, Problem: fmt.Sprintf(
			"out of order: expected sequence %d, found %d", want, s.Sequence)}
	case r.ComputeHash() != s.Hash:
		v.broken = &Break{Sequence: s.Sequence, ID: s.ID, Problem: fmt.Sprintf(
			"the record's content does not match its hash (it was altered): stored hash %s, computed %s", s.Hash, r.ComputeHash())}
	case s.PrevHash != v.last.hash:
		v.broken = &Break{Sequence: s.Sequence, ID: s.ID, Problem: fmt.Sprintf(
			"prev_hash %s does not match the hash %s of sequence %d (that record or this link was altered)", s.PrevHash, v.last.hash, v.last.sequence)}
	default:
		v.last = ChainHead{sequence: s.Sequence, hash: s.Hash}
		v.checked++
	}
	return v.broken
}

// Finish compares the last verified link with the stored chain head, which
// catches records removed from the end.
func (v *ChainVerifier) Finish(head ChainHead) *Break {
	if v.broken != nil {
		return v.broken
	}
	switch {
	case head.sequence != v.last.sequence:
		v.broken = &Break{Sequence: v.last.sequence + 1, Problem: fmt.Sprintf(
			"the chain head is at sequence %d but the last record is %d: records %d..%d are missing",
			head.sequence, v.last.sequence, v.last.sequence+1, head.sequence)}
	case head.hash != v.last.hash:
		v.broken = &Break{Sequence: v.last.sequence, Problem: fmt.Sprintf(
			"the chain head's hash %s differs from the last record's hash %s", head.hash, v.last.hash)}
	}
	return v.broken
}

// Checked is how many records verified so far.
func (v *ChainVerifier) Checked() int64 { return v.checked }

// Last is the last verified link.
func (v *ChainVerifier) Last() ChainHead { return v.last }
