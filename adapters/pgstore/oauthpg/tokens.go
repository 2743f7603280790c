package oauthpg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/goccy/go-json"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/oauthport"
)

// The kinds of token rows.
const (
	kindCode    = "authorize_code"
	kindAccess  = "access_token"
	kindRefresh = "refresh_token"
	kindPKCE    = "pkce"
	kindOIDC    = "oidc"
)

type tokenRow struct {
	Kind        string    `gorm:"column:kind;primaryKey"`
	Signature   string    `gorm:"column:signature;primaryKey"`
	RequestID   string    `gorm:"column:request_id"`
	ClientID    string    `gorm:"column:client_id"`
	Subject     string    `gorm:"column:subject"`
	Active      bool      `gorm:"column:active"`
	RequestedAt time.Time `gorm:"column:requested_at"`
	ExpiresAt   time.Time `gorm:"column:expires_at"`
	Data        string    `gorm:"column:data"`
}

func (tokenRow) TableName() string { return "oauth_tokens" }

// storedRequest is a request as serialized in a token row: what the
// protocol library reads back from it. The client is kept by id only (the
// library compares ids; the endpoints load the client itself).
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScopes   []string        `json:"requested_scopes,omitempty"`
	GrantedScopes     []string        `json:"granted_scopes,omitempty"`
	RequestedAudience []string        `json:"requested_audience,omitempty"`
	GrantedAudience   []string        `json:"granted_audience,omitempty"`
	Form              url.Values      `json:"form,omitempty"`
	Session           json.RawMessage `json:"session"`
}

// secretParameters never reach a token row, whatever the library keeps of
// a request's form.
var secretParameters = []string{"client_secret", "client_assertion", "code_verifier", "refresh_token", "code", "password", "token"}

// Lifetimes are the fallbacks of a row's expiry when its session names none.
type Lifetimes struct {
	AccessToken   time.Duration
	RefreshToken  time.Duration
	AuthorizeCode time.Duration
}

// Tokens is the protocol library's token storage on GORM: authorization
// codes, access and refresh tokens, PKCE and OpenID Connect requests, with
// storage.Transactional so a refresh token rotation is atomic.
//
// A used code keeps its row (inactive): GetAuthorizeCodeSession then
// returns the request with fosite.ErrInvalidatedAuthorizeCode, so the
// library revokes what the code issued. A rotated or revoked refresh token
// keeps its row too: GetRefreshTokenSession returns the request with
// fosite.ErrInactiveToken, so the library recognises its reuse. Revoked
// access tokens are deleted. RotateRefreshToken locks the refresh token's
// row, so of two concurrent refreshes with one token exactly one rotates it
// and the other gets fosite.ErrInactiveToken.
type Tokens struct {
	db         *pgstore.DB
	lifetimes  Lifetimes
	newSession func() fosite.Session
	writes     sync.Mutex
	// On PostgreSQL, rows written and access tokens read outside a
	// transaction go through combiners (batched.go).
	inserts *combiner[tokenRow, struct{}]
	reads   *combiner[string, accessRead]
}

var (
	_ oauth2.CoreStorage                 = (*Tokens)(nil)
	_ oauth2.TokenRevocationStorage      = (*Tokens)(nil)
	_ pkce.PKCERequestStorage            = (*Tokens)(nil)
	_ openid.OpenIDConnectRequestStorage = (*Tokens)(nil)
	_ storage.Transactional              = (*Tokens)(nil)
	_ oauthport.TokenJanitor             = (*Tokens)(nil)
)

// NewTokens returns the token storage on db. newSession makes the session a
// row is read into when the library passes none (nil: an OpenID Connect
// default session).
func NewTokens(db *pgstore.DB, lifetimes Lifetimes, newSession func() fosite.Session) *Tokens {
	if newSession == nil {
		newSession = func() fosite.Session { return &openid.DefaultSession{} }
	}
	s := &Tokens{db: db, lifetimes: lifetimes, newSession: newSession}
	if db.Dialect() == pgstore.Postgres {
		s.inserts = newCombiner(combinerSlots, combinerBatch, combinerBound, s.insertBatch)
		s.reads = newCombiner(combinerSlots, combinerBatch, combinerBound, s.readAccessBatch)
	}
	return s
}

// queue serializes this store's writes outside a transaction in the
// process on SQLite. SQLite has one writer, and a writer that meets the
// lock held polls for it with sleeps (the busy timeout): at a few dozen
// concurrent token requests the polling costs more than the writes, where a
// queue hands the lock over at once. A transaction already holds the lock
// (immediate transactions), so its statements never queue; PostgreSQL
// needs no queue.
func (s *Tokens) queue(ctx context.Context) func() {
	if s.db.Dialect() != pgstore.SQLite || s.db.InTx(ctx) {
		return func() {}
	}
	s.writes.Lock()
	return s.writes.Unlock
}

// BeginTX implements storage.Transactional.
func (s *Tokens) BeginTX(ctx context.Context) (context.Context, error) { return s.db.Begin(ctx) }

// Commit implements storage.Transactional.
func (s *Tokens) Commit(ctx context.Context) error { return s.db.Commit(ctx) }

// Rollback implements storage.Transactional.
func (s *Tokens) Rollback(ctx context.Context) error { return s.db.Rollback(ctx) }

func (s *Tokens) create(ctx context.Context, kind, signature string, req fosite.Requester, tokenType fosite.TokenType, fallback time.Duration) error {
	if signature == "" {
		return errors.New("store token: empty signature")
	}
	sess := req.GetSession()
	sessionJSON := []byte("null")
	var subject string
	var expires time.Time
	if sess != nil {
		var err error
		if sessionJSON, err = json.Marshal(sess); err != nil {
			return fmt.Errorf("serialize session: %w", err)
		}
		subject = sess.GetSubject()
		expires = sess.GetExpiresAt(tokenType)
	}
	requestedAt := req.GetRequestedAt().UTC()
	if requestedAt.IsZero() {
		requestedAt = time.Now().UTC()
	}
	if expires.IsZero() {
		if fallback <= 0 {
			fallback = s.lifetimes.RefreshToken
		}
		expires = requestedAt.Add(fallback)
	}
	form := url.Values{}
	for k, v := range req.GetRequestForm() {
		form[k] = v
	}
	for _, k := range secretParameters {
		delete(form, k)
	}
	clientID := ""
	if c := req.GetClient(); c != nil {
		clientID = c.GetID()
	}
	data, err := json.Marshal(storedRequest{
		ID: req.GetID(), RequestedAt: requestedAt, ClientID: clientID,
		RequestedScopes: req.GetRequestedScopes(), GrantedScopes: req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(), GrantedAudience: req.GetGrantedAudience(),
		Form: form, Session: sessionJSON,
	})
	if err != nil {
		return fmt.Errorf("serialize request: %w", err)
	}
	row := tokenRow{
		Kind: kind, Signature: signature, RequestID: req.GetID(), ClientID: clientID, Subject: subject,
		Active: true, RequestedAt: requestedAt, ExpiresAt: expires.UTC(), Data: string(data),
	}
	if s.inserts != nil && !s.db.InTx(ctx) {
		_, err := s.inserts.do(ctx, row)
		return pgstore.AsUnavailable(err)
	}
	defer s.queue(ctx)()
	return s.insertOne(ctx, row)
}

func (s *Tokens) insertOne(ctx context.Context, row tokenRow) error {
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		if pgstore.IsForeignKeyViolation(err) {
			// The client was deleted while its request was in flight.
			return fosite.ErrNotFound.WithWrap(err)
		}
		return fmt.Errorf("store %s: %w", row.Kind, err)
	}
	return nil
}

// get reads a row and rebuilds its request, reading the session into
// session (or a new one when nil). The row is returned whether active or not.
func (s *Tokens) get(ctx context.Context, kind, signature string, session fosite.Session, lock bool) (*fosite.Request, tokenRow, error) {
	var row tokenRow
	if kind == kindAccess && !lock && s.reads != nil && !s.db.InTx(ctx) {
		r, err := s.reads.do(ctx, signature)
		if err != nil {
			return nil, row, pgstore.AsUnavailable(err)
		}
		if !r.found {
			return nil, row, fosite.ErrNotFound
		}
		row = tokenRow{Kind: kind, Signature: signature, Active: r.active, Data: r.data}
	} else {
		q := s.db.Conn(ctx).Where("kind = ? AND signature = ?", kind, signature)
		if lock {
			q = s.db.ForUpdate(q)
		}
		if err := q.Take(&row).Error; err != nil {
			if pgstore.IsNotFound(err) {
				return nil, row, fosite.ErrNotFound
			}
			return nil, row, fmt.Errorf("read %s: %w", kind, err)
		}
	}
	var sr storedRequest
	if err := json.Unmarshal([]byte(row.Data), &sr); err != nil {
		return nil, row, fmt.Errorf("read %s: stored request: %w", kind, err)
	}
	if session == nil {
		session = s.newSession()
	}
	if len(sr.Session) > 0 && string(sr.Session) != "null" {
		if err := json.Unmarshal(sr.Session, session); err != nil {
			return nil, row, fmt.Errorf("read %s: stored session: %w", kind, err)
		}
	}
	if sr.Form == nil {
		sr.Form = url.Values{}
	}
	req := &fosite.Request{
		ID: sr.ID, RequestedAt: sr.RequestedAt, Client: &fosite.DefaultClient{ID: sr.ClientID},
		RequestedScope: fosite.Arguments(sr.RequestedScopes), GrantedScope: fosite.Arguments(sr.GrantedScopes),
		RequestedAudience: fosite.Arguments(sr.RequestedAudience), GrantedAudience: fosite.Arguments(sr.GrantedAudience),
		Form: sr.Form, Session: session,
	}
	if req.RequestedScope == nil {
		req.RequestedScope = fosite.Arguments{}
	}
	if req.GrantedScope == nil {
		req.GrantedScope = fosite.Arguments{}
	}
	return req, row, nil
}

func (s *Tokens) delete(ctx context.Context, kind, signature string) error {
	defer s.queue(ctx)()
	if err := s.db.Conn(ctx).Where("kind = ? AND signature = ?", kind, signature).Delete(&tokenRow{}).Error; err != nil {
		return fmt.Errorf("delete %s: %w", kind, err)
	}
	return nil
}

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Tokens) CreateAuthorizeCodeSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, kindCode, signature, req, fosite.AuthorizeCode, s.lifetimes.AuthorizeCode)
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage: a used
// code comes back with fosite.ErrInvalidatedAuthorizeCode.
func (s *Tokens) GetAuthorizeCodeSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, row, err := s.get(ctx, kindCode, signature, session, false)
	if err != nil {
		return nil, err
	}
	if !row.Active {
		return req, fosite.ErrInvalidatedAuthorizeCode
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Tokens) InvalidateAuthorizeCodeSession(ctx context.Context, signature string) error {
	defer s.queue(ctx)()
	res := s.db.Conn(ctx).Model(&tokenRow{}).Where("kind = ? AND signature = ?", kindCode, signature).Update("active", false)
	if res.Error != nil {
		return fmt.Errorf("invalidate authorization code: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fosite.ErrNotFound
	}
	return nil
}

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Tokens) CreateAccessTokenSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, kindAccess, signature, req, fosite.AccessToken, s.lifetimes.AccessToken)
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Tokens) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, row, err := s.get(ctx, kindAccess, signature, session, false)
	if err != nil {
		return nil, err
	}
	if !row.Active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Tokens) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindAccess, signature)
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Tokens) CreateRefreshTokenSession(ctx context.Context, signature, _ string, req fosite.Requester) error {
	return s.create(ctx, kindRefresh, signature, req, fosite.RefreshToken, s.lifetimes.RefreshToken)
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage: a rotated
// or revoked refresh token comes back with fosite.ErrInactiveToken.
func (s *Tokens) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, row, err := s.get(ctx, kindRefresh, signature, session, false)
	if err != nil {
		return nil, err
	}
	if !row.Active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Tokens) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindRefresh, signature)
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage: it locks the
// presented refresh token's row and, if it is still active, deactivates the
// grant's refresh tokens and deletes its access tokens. A token rotated
// meanwhile (a concurrent refresh that won) is fosite.ErrInactiveToken.
func (s *Tokens) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		var row tokenRow
		q := s.db.Conn(ctx).Select("active", "request_id").Where("kind = ? AND signature = ?", kindRefresh, signature)
		if err := s.db.ForUpdate(q).Take(&row).Error; err != nil {
			if pgstore.IsNotFound(err) {
				return fosite.ErrNotFound
			}
			return fmt.Errorf("lock refresh token: %w", err)
		}
		if !row.Active || row.RequestID != requestID {
			return fosite.ErrInactiveToken
		}
		return s.revoke(ctx, requestID)
	})
}

func (s *Tokens) revoke(ctx context.Context, requestID string) error {
	conn := s.db.Conn(ctx)
	if err := conn.Model(&tokenRow{}).Where("kind = ? AND request_id = ?", kindRefresh, requestID).Update("active", false).Error; err != nil {
		return fmt.Errorf("deactivate refresh tokens: %w", err)
	}
	if err := conn.Where("kind = ? AND request_id = ?", kindAccess, requestID).Delete(&tokenRow{}).Error; err != nil {
		return fmt.Errorf("delete access tokens: %w", err)
	}
	return nil
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: the grant's
// refresh tokens become inactive (their rows stay until they expire).
func (s *Tokens) RevokeRefreshToken(ctx context.Context, requestID string) error {
	defer s.queue(ctx)()
	err := s.db.Conn(ctx).Model(&tokenRow{}).Where("kind = ? AND request_id = ?", kindRefresh, requestID).Update("active", false).Error
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage: the grant's
// access tokens are deleted.
func (s *Tokens) RevokeAccessToken(ctx context.Context, requestID string) error {
	defer s.queue(ctx)()
	if err := s.db.Conn(ctx).Where("kind = ? AND request_id = ?", kindAccess, requestID).Delete(&tokenRow{}).Error; err != nil {
		return fmt.Errorf("revoke access tokens: %w", err)
	}
	return nil
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Tokens) CreatePKCERequestSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, kindPKCE, signature, req, fosite.AuthorizeCode, s.lifetimes.AuthorizeCode)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
func (s *Tokens) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, _, err := s.get(ctx, kindPKCE, signature, session, false)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Tokens) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindPKCE, signature)
}

// CreateOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Tokens) CreateOpenIDConnectSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, kindOIDC, signature, req, fosite.AuthorizeCode, s.lifetimes.AuthorizeCode)
}

// GetOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Tokens) GetOpenIDConnectSession(ctx context.Context, signature string, requester fosite.Requester) (fosite.Requester, error) {
	var session fosite.Session
	if requester != nil {
		session = requester.GetSession()
	}
	req, _, err := s.get(ctx, kindOIDC, signature, session, false)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeleteOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Tokens) DeleteOpenIDConnectSession(ctx context.Context, signature string) error {
	return s.delete(ctx, kindOIDC, signature)
}

// DeleteExpired implements oauthport.TokenJanitor: one batch of rows whose
// expiry passed, oldest first (FOR UPDATE SKIP LOCKED on PostgreSQL, so
// several cleaners never wait on each other).
func (s *Tokens) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	n := 0
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var keys []tokenRow
		q := s.db.Conn(ctx).Select("kind", "signature").Where("expires_at < ?", before.UTC()).Order("expires_at").Limit(limit)
		if err := s.db.SkipLocked(q).Find(&keys).Error; err != nil {
			return fmt.Errorf("find expired tokens: %w", err)
		}
		if len(keys) == 0 {
			return nil
		}
		pairs := make([][]any, len(keys))
		for i, k := range keys {
			pairs[i] = []any{k.Kind, k.Signature}
		}
		res := s.db.Conn(ctx).Where(clause.IN{Column: clause.Expr{SQL: "(kind, signature)"}, Values: toAny(pairs)}).Delete(&tokenRow{})
		if res.Error != nil {
			return fmt.Errorf("delete expired tokens: %w", res.Error)
		}
		n = int(res.RowsAffected)
		return nil
	})
	return n, err
}

func toAny(pairs [][]any) []any {
	out := make([]any, len(pairs))
	for i, p := range pairs {
		out[i] = p
	}
	return out
}

var _ oauthport.SubjectTokens = (*Tokens)(nil)

// RevokeSubject implements oauthport.SubjectTokens: the subject's access
// tokens are deleted and its refresh tokens deactivated (their rows stay
// until they expire, so a reuse is recognised), in the transaction ctx
// carries or one of its own.
func (s *Tokens) RevokeSubject(ctx context.Context, subject string) (int, error) {
	if subject == "" {
		return 0, nil
	}
	defer s.queue(ctx)()
	var n int64
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		res := conn.Where("kind = ? AND subject = ?", kindAccess, subject).Delete(&tokenRow{})
		if res.Error != nil {
			return fmt.Errorf("delete access tokens: %w", res.Error)
		}
		n = res.RowsAffected
		res = conn.Model(&tokenRow{}).Where("kind = ? AND subject = ? AND active", kindRefresh, subject).Update("active", false)
		if res.Error != nil {
			return fmt.Errorf("deactivate refresh tokens: %w", res.Error)
		}
		n += res.RowsAffected
		return nil
	})
	return int(n), err
}
