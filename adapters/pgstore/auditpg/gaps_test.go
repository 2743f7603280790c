package auditpg

import (
	"errors"
	"slices"
	"testing"
)

func TestGaps_RoundTripAndRefuseWhatTheSealerNeverWrites(t *testing.T) {
	gaps := []gap{{lo: 3, hi: 3, horizon: 0}, {lo: 5, hi: 9, horizon: 77}, {lo: 12, hi: 12, horizon: 1 << 40}}
	s := formatGaps(gaps)
	if s != "3:0,5-9:77,12:1099511627776" {
		t.Fatalf("formatGaps = %q", s)
	}
	back, err := parseGaps(s)
	if err != nil || !slices.Equal(back, gaps) {
		t.Fatalf("parseGaps = %v, %v", back, err)
	}
	if g, err := parseGaps(""); err != nil || g != nil {
		t.Fatalf("empty: %v, %v", g, err)
	}
	for _, bad := range []string{"x", "3", "3:", "0:1", "5-3:1", "3:1,3:1", "5:1,4:1", "3:-1", "3-:1", ",", "3:1,"} {
		if _, err := parseGaps(bad); !errors.Is(err, errBadGaps) {
			t.Fatalf("parseGaps(%q) = %v, want errBadGaps", bad, err)
		}
	}
}

func TestGapsContain(t *testing.T) {
	gaps := []gap{{lo: 3, hi: 3}, {lo: 5, hi: 9}}
	for p, want := range map[int64]bool{2: false, 3: true, 4: false, 5: true, 7: true, 9: true, 10: false} {
		if gapsContain(gaps, p) != want {
			t.Fatalf("gapsContain(%d) = %v", p, !want)
		}
	}
}

func TestPassedOver_IsEveryPositionSkippedBelowTheLastSeen(t *testing.T) {
	got := passedOver(10, []int64{11, 14, 15, 20}, 9)
	want := []gap{{lo: 12, hi: 13, horizon: 9}, {lo: 16, hi: 19, horizon: 9}}
	if !slices.Equal(got, want) {
		t.Fatalf("passedOver = %v, want %v", got, want)
	}
	if got := passedOver(10, nil, 9); got != nil {
		t.Fatalf("nothing seen: %v", got)
	}
	if got := passedOver(10, []int64{11, 12}, 9); got != nil {
		t.Fatalf("nothing skipped: %v", got)
	}
}

func TestSettleGaps(t *testing.T) {
	gaps := []gap{{lo: 3, hi: 3, horizon: 5}, {lo: 5, hi: 9, horizon: 5}, {lo: 12, hi: 14, horizon: 50}}
	all := []bool{true, true, true}
	never := func(uint64) bool { return false }
	below := func(h uint64) bool { return h < 10 }

	// Sealed positions leave their runs, which split around them.
	got := settleGaps(gaps, all, []int64{3, 5, 7, 14}, never)
	want := []gap{{lo: 6, hi: 6, horizon: 5}, {lo: 8, hi: 9, horizon: 5}, {lo: 12, hi: 13, horizon: 50}}
	if !slices.Equal(got, want) {
		t.Fatalf("split: %v, want %v", got, want)
	}
	// Settled runs go whole; a run with a later horizon stays.
	got = settleGaps(gaps, all, []int64{7, 13}, below)
	want = []gap{{lo: 12, hi: 12, horizon: 50}, {lo: 14, hi: 14, horizon: 50}}
	if !slices.Equal(got, want) {
		t.Fatalf("settled: %v, want %v", got, want)
	}
	// A run not probed completely stays, however old.
	got = settleGaps(gaps, []bool{false, false, false}, nil, below)
	if !slices.Equal(got, gaps) {
		t.Fatalf("not probed: %v", got)
	}
}
