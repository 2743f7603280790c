package oauth_test

import (
	"testing"
	"time"

	"github.com/secuird/authy/domain/oauth"
)

var policy = oauth.KeyPolicy{RotateEvery: 90 * 24 * time.Hour, PublishLead: 10 * time.Minute, VerifyFor: time.Hour}

func ids(keys []oauth.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID()
	}
	return out
}

func TestKeySchedule_TheFirstKeySignsAtOnce(t *testing.T) {
	s := oauth.ScheduleKeys(nil, policy, now)
	at, due := s.Due(false)
	if !due || !at.Equal(now) || s.NextGeneration() != 1 {
		t.Fatalf("due=%v at=%v gen=%d", due, at, s.NextGeneration())
	}
}

func TestKeySchedule_ASuccessorIsPublishedBeforeItSignsAndTheOldKeyVerifiesUntilItsTokensExpire(t *testing.T) {
	k1 := oauth.NewKey("k1", oauth.KeyRS256, 1, now, now)
	s := oauth.ScheduleKeys([]oauth.Key{k1}, policy, now.Add(24*time.Hour))
	if _, due := s.Due(false); due {
		t.Fatal("rotation due after a day")
	}
	rotateAt := now.Add(24 * time.Hour)
	at, due := s.Due(true)
	if !due || !at.Equal(rotateAt.Add(10*time.Minute)) {
		t.Fatalf("forced rotation: due=%v at=%v", due, at)
	}
	k2 := oauth.NewKey("k2", oauth.KeyRS256, 2, rotateAt, at)

	during := oauth.ScheduleKeys([]oauth.Key{k2, k1}, policy, rotateAt.Add(5*time.Minute))
	if cur, _ := during.Current(); cur.ID() != "k1" {
		t.Fatalf("the successor signs before its lead ran out: %s", cur.ID())
	}
	if got := ids(during.Verifying()); len(got) != 2 || got[0] != "k2" || got[1] != "k1" {
		t.Fatalf("published during the lead: %v", got)
	}
	if _, due := during.Due(true); due {
		t.Fatal("a second successor while one is pending")
	}

	after := oauth.ScheduleKeys([]oauth.Key{k1, k2}, policy, at.Add(59*time.Minute))
	if cur, _ := after.Current(); cur.ID() != "k2" {
		t.Fatalf("current after activation: %s", cur.ID())
	}
	if got := ids(after.Verifying()); len(got) != 2 {
		t.Fatalf("the retired key left before its tokens expired: %v", got)
	}
	gone := oauth.ScheduleKeys([]oauth.Key{k1, k2}, policy, at.Add(time.Hour))
	if got := ids(gone.Verifying()); len(got) != 1 || got[0] != "k2" {
		t.Fatalf("published once expired: %v", got)
	}
	if got := ids(gone.Expired()); len(got) != 1 || got[0] != "k1" {
		t.Fatalf("expired: %v", got)
	}
}

func TestKeySchedule_RotatesByItselfOnceTheKeyIsOldEnough(t *testing.T) {
	k1 := oauth.NewKey("k1", oauth.KeyES256, 1, now, now)
	at, due := oauth.ScheduleKeys([]oauth.Key{k1}, policy, now.Add(90*24*time.Hour)).Due(false)
	if !due || !at.Equal(now.Add(90*24*time.Hour+10*time.Minute)) {
		t.Fatalf("due=%v at=%v", due, at)
	}
	never := oauth.KeyPolicy{}
	if _, due := oauth.ScheduleKeys([]oauth.Key{k1}, never, now.Add(1000*24*time.Hour)).Due(false); due {
		t.Fatal("a kind that never rotates rotated")
	}
}
