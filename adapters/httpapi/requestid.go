package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
)

// Request ids are version 4 UUIDs in form (SPEC §2) made without a call to
// the random source per request: each process draws 60 random bits once,
// the first half of every id it makes, and counts through the second half
// from a random start (62 bits between the variant and the end). Two
// instances share a prefix with odds of one in 2^30 after 2^15 starts,
// and one instance never repeats a counter value, so ids stay unique across
// instances. Within an instance they are sequential, which is harmless: a
// request id names a request in logs and the audit trail, is echoed to the
// client, and authorizes nothing.
var requestIDs = newRequestIDSource()

type requestIDSource struct {
	// prefix is the formatted first half, "xxxxxxxx-xxxx-4xxx-".
	prefix  string
	counter atomic.Uint64
}

func newRequestIDSource() *requestIDSource {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("request ids: no random source: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	var p [19]byte
	hex.Encode(p[0:8], b[0:4])
	p[8] = '-'
	hex.Encode(p[9:13], b[4:6])
	p[13] = '-'
	hex.Encode(p[14:18], b[6:8])
	p[18] = '-'
	s := &requestIDSource{prefix: string(p[:])}
	var start uint64
	for _, x := range b[8:16] {
		start = start<<8 | uint64(x)
	}
	s.counter.Store(start)
	return s
}

const hexDigits = "0123456789abcdef"

// next returns a new id: the prefix, then the counter's low 62 bits under
// the RFC 9562 variant (10xx), as "yxxx-xxxxxxxxxxxx".
func (s *requestIDSource) next() string {
	n := s.counter.Add(1)&(1<<62-1) | 1<<63
	var b [36]byte
	copy(b[:19], s.prefix)
	for i := 35; i >= 19; i-- {
		if i == 23 {
			b[i] = '-'
			continue
		}
		b[i] = hexDigits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}
