package sessionsredis

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
)

// hintSlots is how many token hashes an instance remembers the user of. A
// slot holds one; a hash that lands on a taken slot replaces its hash, which
// only costs that token one lookup without read-ahead.
const hintSlots = 1 << 17

// hints remembers which user each token hash recently read belongs to, so
// Get can name the user's keys before it has read the session entry. A
// session's user never changes, so a hint cannot go stale; and a hint only
// chooses which keys to read: what was read ahead is handed over only when
// the entry read with it names the same user.
type hints struct {
	seed  maphash.Seed
	slots []atomic.Pointer[hint]
}

type hint struct {
	hash sessions.TokenHash
	user shared.UserID
}

func newHints() *hints {
	return &hints{seed: maphash.MakeSeed(), slots: make([]atomic.Pointer[hint], hintSlots)}
}

func (h *hints) slot(hexHash string) *atomic.Pointer[hint] {
	return &h.slots[maphash.String(h.seed, hexHash)%hintSlots]
}

// user returns the user remembered for hash (hexHash is its hex form).
func (h *hints) user(hash sessions.TokenHash, hexHash string) (shared.UserID, bool) {
	if x := h.slot(hexHash).Load(); x != nil && x.hash == hash {
		return x.user, true
	}
	return shared.UserID{}, false
}

// remember records user as hash's.
func (h *hints) remember(hash sessions.TokenHash, hexHash string, user shared.UserID) {
	s := h.slot(hexHash)
	if x := s.Load(); x != nil && x.hash == hash && x.user == user {
		return
	}
	s.Store(&hint{hash: hash, user: user})
}
