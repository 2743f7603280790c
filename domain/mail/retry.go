package mail

import (
	"errors"
	"time"
)

// RetryPolicy is exponential backoff: the first retry waits Initial, each
// further one twice as long, never more than Max.
type RetryPolicy struct {
	initial time.Duration
	max     time.Duration
}

// DefaultRetryPolicy retries after 5 s, 10 s, 20 s … up to every 10 minutes.
var DefaultRetryPolicy = RetryPolicy{initial: 5 * time.Second, max: 10 * time.Minute}

// NewRetryPolicy checks 0 < initial <= max.
func NewRetryPolicy(initial, max time.Duration) (RetryPolicy, error) {
	if initial <= 0 || max < initial {
		return RetryPolicy{}, errors.New("mail: retry policy needs 0 < initial <= max")
	}
	return RetryPolicy{initial: initial, max: max}, nil
}

// Initial returns the first delay.
func (p RetryPolicy) Initial() time.Duration { return p.initial }

// Max returns the cap.
func (p RetryPolicy) Max() time.Duration { return p.max }

// IsZero reports the zero policy.
func (p RetryPolicy) IsZero() bool { return p.initial == 0 }

// Delay returns the wait after the attempt-th failure (attempt >= 1). The
// zero policy behaves as DefaultRetryPolicy.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	if p.IsZero() {
		p = DefaultRetryPolicy
	}
	d := p.initial
	for i := 1; i < attempt; i++ {
		if d >= p.max/2 {
			return p.max
		}
		d *= 2
	}
	if d > p.max {
		return p.max
	}
	return d
}
