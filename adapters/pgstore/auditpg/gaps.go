package auditpg

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// gap is a run of insert positions lo..hi at or below the sealer's
// watermark that it has not seen committed: each one is either still to
// commit or never will (its transaction rolled back, or the position was
// never used). horizon is the PostgreSQL transaction id of the sealing
// pass that found the run; once every transaction with a lower id has
// ended, the run's positions are settled (see the package doc). Runs left
// by migration 00032, and any on SQLite, have horizon 0.
type gap struct {
	lo, hi  int64
	horizon uint64
}

// errBadGaps is a chain head whose gaps column is not what the sealer
// writes: changed behind the application's back.
var errBadGaps = errors.New("the audit chain head's gaps are malformed")

// parseGaps reads the head's gaps column: runs "lo-hi:horizon" (or
// "pos:horizon" for a single position), comma separated, ascending and
// disjoint.
func parseGaps(s string) ([]gap, error) {
	if s == "" {
		return nil, nil
	}
	var out []gap
	for f := range strings.SplitSeq(s, ",") {
		span, h, ok := strings.Cut(f, ":")
		if !ok {
			return nil, fmt.Errorf("%w: %q", errBadGaps, f)
		}
		loS, hiS, isRun := strings.Cut(span, "-")
		if !isRun {
			hiS = loS
		}
		lo, err1 := strconv.ParseInt(loS, 10, 64)
		hi, err2 := strconv.ParseInt(hiS, 10, 64)
		horizon, err3 := strconv.ParseUint(h, 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || lo < 1 || hi < lo ||
			(len(out) > 0 && lo <= out[len(out)-1].hi) {
			return nil, fmt.Errorf("%w: %q", errBadGaps, f)
		}
		out = append(out, gap{lo: lo, hi: hi, horizon: horizon})
	}
	return out, nil
}

// formatGaps writes gaps for the head's gaps column.
func formatGaps(gaps []gap) string {
	var b []byte
	for i, g := range gaps {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, g.lo, 10)
		if g.hi != g.lo {
			b = append(b, '-')
			b = strconv.AppendInt(b, g.hi, 10)
		}
		b = append(b, ':')
		b = strconv.AppendUint(b, g.horizon, 10)
	}
	return string(b)
}

// gapsContain reports whether pos lies in one of gaps (ascending).
func gapsContain(gaps []gap, pos int64) bool {
	_, found := slices.BinarySearchFunc(gaps, pos, func(g gap, p int64) int {
		switch {
		case g.hi < p:
			return -1
		case g.lo > p:
			return 1
		}
		return 0
	})
	return found
}

// settleGaps returns what is left of gaps after a sealing pass: the
// positions in taken (ascending; records the pass sealed, or found sealed
// already) leave their runs, and a run the pass probed completely (probed
// says so of each of gaps) whose horizon every running transaction is
// past (settled) goes altogether, as whatever of it is still missing will
// never commit.
func settleGaps(gaps []gap, probed []bool, taken []int64, settled func(horizon uint64) bool) []gap {
	out := make([]gap, 0, len(gaps))
	t := 0
	for i, g := range gaps {
		if probed[i] && settled(g.horizon) {
			for t < len(taken) && taken[t] <= g.hi {
				t++
			}
			continue
		}
		lo := g.lo
		for t < len(taken) && taken[t] < lo {
			t++
		}
		for t < len(taken) && taken[t] <= g.hi {
			if taken[t] > lo {
				out = append(out, gap{lo: lo, hi: taken[t] - 1, horizon: g.horizon})
			}
			lo = taken[t] + 1
			t++
		}
		if lo <= g.hi {
			out = append(out, gap{lo: lo, hi: g.hi, horizon: g.horizon})
		}
	}
	return out
}

// passedOver returns the runs of positions above watermark and below the
// last of seen (ascending) that seen skips, each with horizon.
func passedOver(watermark int64, seen []int64, horizon uint64) []gap {
	var out []gap
	prev := watermark
	for _, p := range seen {
		if p > prev+1 {
			out = append(out, gap{lo: prev + 1, hi: p - 1, horizon: horizon})
		}
		prev = max(prev, p)
	}
	return out
}
