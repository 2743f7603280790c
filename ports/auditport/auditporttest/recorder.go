package auditporttest

import (
	"context"
	"sync"

	"github.com/secuird/authy/ports/auditport"
)

// Recorder is a recording fake of auditport.Recorder for application tests:
// it keeps every event it is given, or refuses them all while Fail is set.
type Recorder struct {
	mu     sync.Mutex
	events []auditport.Event
	// Fail, when set, is returned by Record and nothing is kept.
	Fail error
}

// Record implements auditport.Recorder.
func (r *Recorder) Record(_ context.Context, events ...auditport.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		return r.Fail
	}
	r.events = append(r.events, events...)
	return nil
}

// Events returns a copy of the recorded events, oldest first.
func (r *Recorder) Events() []auditport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]auditport.Event(nil), r.events...)
}

// Actions returns the recorded events' actions, oldest first.
func (r *Recorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Action
	}
	return out
}
