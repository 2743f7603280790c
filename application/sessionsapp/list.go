package sessionsapp

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/sessionsport"
)

// maxListAll bounds List, which has no paging parameters.
const maxListAll = 1000

// List returns p's user's active sessions, newest first, marking p's own.
func (s *Service) List(ctx context.Context, p sessionsport.Principal) ([]sessionsport.SessionView, error) {
	page, err := s.ListPage(ctx, p, sessionsport.ListQuery{Limit: maxListAll})
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}

// ListPage returns one keyset page of p's user's active sessions. The
// store's idle clock may lag the cache by SyncEvery, so the store is asked
// for sessions that expired up to that long ago and each one's idle clock is
// taken from the cache when it is fresher; sessions that turn out expired
// are left out (a page may then hold fewer than Limit items).
func (s *Service) ListPage(ctx context.Context, p sessionsport.Principal, q sessionsport.ListQuery) (sessionsport.SessionPage, error) {
	before, beforeID, err := decodeCursor(q.Cursor)
	if err != nil {
		return sessionsport.SessionPage{}, err
	}
	limit := max(q.Limit, 1)
	now := s.now()
	rows, err := s.store.ListActive(ctx, p.UserID, now.Add(-s.policy.SyncEvery()), sessionsport.PageQuery{
		BeforeCreatedAt: before, BeforeID: beforeID, Limit: limit + 1,
	})
	if err != nil {
		return sessionsport.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	var next string
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt(), last.ID())
	}
	fresh := s.cachedClocks(ctx, rows)
	items := make([]sessionsport.SessionView, 0, len(rows))
	for _, x := range rows {
		v := view(x, x.ID() == p.SessionID)
		if e, ok := fresh[x.TokenHash()]; ok && e.ID == x.ID() && e.ExpiresAt.After(v.ExpiresAt) {
			v.LastSeenAt, v.ExpiresAt = e.LastSeenAt, e.ExpiresAt
		}
		if v.Current && p.ExpiresAt.After(v.ExpiresAt) && !p.ExpiresAt.After(v.AbsoluteExpiresAt) {
			v.ExpiresAt = p.ExpiresAt.UTC()
		}
		if !now.Before(v.ExpiresAt) {
			continue
		}
		items = append(items, v)
	}
	return sessionsport.SessionPage{Items: items, NextCursor: next}, nil
}

// cachedClocks reads the cached idle clocks of rows when the cache is
// trusted; without it the store's values are shown.
func (s *Service) cachedClocks(ctx context.Context, rows []*sessions.Session) map[sessions.TokenHash]sessionsport.CachedSession {
	if ok, _ := s.trust.state(); !ok || len(rows) == 0 {
		return nil
	}
	hs := make([]sessions.TokenHash, len(rows))
	for i, x := range rows {
		hs[i] = x.TokenHash()
	}
	m, err := s.cache.GetMany(ctx, hs)
	if err != nil {
		s.cacheFailed(ctx, "get many", err)
		return nil
	}
	return m
}

func encodeCursor(at time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + id.String()))
}

func decodeCursor(c string) (time.Time, uuid.UUID, error) {
	if c == "" {
		return time.Time{}, uuid.Nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, uuid.Nil, errInvalidCursor
	}
	ts, idPart, ok := strings.Cut(string(raw), ".")
	if !ok {
		return time.Time{}, uuid.Nil, errInvalidCursor
	}
	micros, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || micros <= 0 {
		return time.Time{}, uuid.Nil, errInvalidCursor
	}
	id, err := uuid.Parse(idPart)
	if err != nil {
		return time.Time{}, uuid.Nil, errInvalidCursor
	}
	return time.UnixMicro(micros).UTC(), id, nil
}
