package oauthapp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/platformport"
)

// KeyConfig is the key lifecycle. Zero fields take their defaults.
type KeyConfig struct {
	// RotateEvery is the age at which a signing key and the token HMAC
	// secret are succeeded (OIDC_KEY_ROTATION_DAYS; default 90 days).
	RotateEvery time.Duration
	// PublishLead is how long a successor is published before it signs
	// (default 10 minutes: longer than Reload plus the JWKS cache age).
	PublishLead time.Duration
	// SigningVerifyFor is how long a retired signing key stays in the JWKS:
	// the longest lifetime of a JWT it signed (ID and access tokens).
	SigningVerifyFor time.Duration
	// TokenVerifyFor is how long a retired HMAC secret still validates
	// opaque tokens: the longest token lifetime (refresh tokens).
	TokenVerifyFor time.Duration
	// Reload is how often an instance rereads the keys (default 1 minute).
	Reload time.Duration
}

// Defaults of KeyConfig.
const (
	DefaultKeyRotation = 90 * 24 * time.Hour
	DefaultPublishLead = 10 * time.Minute
	DefaultKeyReload   = time.Minute
)

// ErrNoKey is a key the provider does not have yet (the keys were never
// created: the server did not start, or the store was emptied).
var ErrNoKey = shared.Unavailable("oauth.no_key", "the provider's keys are not available; retry shortly")

// loadedKey is a key opened from the store.
type loadedKey struct {
	key    oauth.Key
	signer crypto.Signer // signing kinds
	secret []byte        // HMAC kinds
}

type keyState struct {
	byKind map[oauth.KeyKind][]loadedKey
	stored []oauthport.StoredKey
}

// KeyManager holds the provider's keys in memory, opened from the store
// with the ENCRYPTION_KEY keyring, and runs their lifecycle. It implements
// oauthport.Keys and oauthport.KeyAdmin.
type KeyManager struct {
	repo    oauthport.KeyRepository
	keyring platformport.Keyring
	clock   platformport.Clock
	cfg     KeyConfig

	mu       sync.RWMutex
	state    *keyState
	loadedAt time.Time
	reload   sync.Mutex
	// creating is closed once the creation Begin handed out has returned
	// for the first time; nil when Begin handed none out.
	creating chan struct{}
}

var (
	_ oauthport.Keys     = (*KeyManager)(nil)
	_ oauthport.KeyAdmin = (*KeyManager)(nil)
)

// NewKeyManager returns a manager with no key loaded; Ensure (at start)
// creates what is missing and loads them.
func NewKeyManager(repo oauthport.KeyRepository, keyring platformport.Keyring, clock platformport.Clock, cfg KeyConfig) (*KeyManager, error) {
	if repo == nil || keyring == nil || clock == nil {
		return nil, errors.New("oauth keys: the key repository, the keyring and the clock are required")
	}
	if cfg.RotateEvery <= 0 {
		cfg.RotateEvery = DefaultKeyRotation
	}
	if cfg.PublishLead <= 0 {
		cfg.PublishLead = DefaultPublishLead
	}
	if cfg.Reload <= 0 {
		cfg.Reload = DefaultKeyReload
	}
	return &KeyManager{repo: repo, keyring: keyring, clock: clock, cfg: cfg}, nil
}

// policy is the lifecycle of kind. The secret-hashing key never rotates by
// itself and never expires: every stored hash names it.
func (m *KeyManager) policy(kind oauth.KeyKind) oauth.KeyPolicy {
	switch kind {
	case oauth.KeySecretHMAC:
		return oauth.KeyPolicy{VerifyFor: 100 * 365 * 24 * time.Hour}
	case oauth.KeyTokenHMAC:
		return oauth.KeyPolicy{RotateEvery: m.cfg.RotateEvery, PublishLead: m.cfg.PublishLead, VerifyFor: m.cfg.TokenVerifyFor}
	}
	return oauth.KeyPolicy{RotateEvery: m.cfg.RotateEvery, PublishLead: m.cfg.PublishLead, VerifyFor: m.cfg.SigningVerifyFor}
}

func associatedData(id string) []byte { return []byte("oauth-key:" + id) }

// load reads and opens every key.
func (m *KeyManager) load(ctx context.Context) error {
	stored, err := m.repo.List(ctx)
	if err != nil {
		return fmt.Errorf("read OAuth keys: %w", err)
	}
	st := &keyState{byKind: map[oauth.KeyKind][]loadedKey{}, stored: stored}
	for _, sk := range stored {
		raw, err := m.keyring.Open(ctx, sk.Sealed, associatedData(sk.Key.ID()))
		if err != nil {
			return fmt.Errorf("open OAuth key %s (%s): %w", sk.Key.ID(), sk.Key.Kind(), err)
		}
		lk := loadedKey{key: sk.Key}
		if sk.Key.Kind().Signing() {
			priv, err := x509.ParsePKCS8PrivateKey(raw)
			if err != nil {
				return fmt.Errorf("OAuth key %s: %w", sk.Key.ID(), err)
			}
			signer, ok := priv.(crypto.Signer)
			if !ok {
				return fmt.Errorf("OAuth key %s is not a signing key", sk.Key.ID())
			}
			lk.signer = signer
		} else {
			lk.secret = raw
		}
		st.byKind[sk.Key.Kind()] = append(st.byKind[sk.Key.Kind()], lk)
	}
	m.mu.Lock()
	m.state, m.loadedAt = st, m.clock.Now()
	m.mu.Unlock()
	return nil
}

// current returns the loaded keys, rereading them once they are Reload
// old. One caller rereads while the others go on with what is loaded; a
// failed reread keeps the old keys (and is tried again at the next call).
func (m *KeyManager) current(ctx context.Context) (*keyState, error) {
	if err := m.waitCreating(ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	st, at := m.state, m.loadedAt
	m.mu.RUnlock()
	if st != nil && m.clock.Now().Sub(at) < m.cfg.Reload {
		return st, nil
	}
	if st == nil {
		m.reload.Lock()
		defer m.reload.Unlock()
		m.mu.RLock()
		st = m.state
		m.mu.RUnlock()
		if st == nil {
			if err := m.load(ctx); err != nil {
				return nil, err
			}
		}
		m.mu.RLock()
		defer m.mu.RUnlock()
		return m.state, nil
	}
	if m.reload.TryLock() {
		defer m.reload.Unlock()
		if err := m.load(ctx); err != nil {
			// Try again in a few seconds rather than on every request.
			m.mu.Lock()
			m.loadedAt = m.clock.Now().Add(-m.cfg.Reload + 5*time.Second)
			m.mu.Unlock()
			return st, nil
		}
		m.mu.RLock()
		defer m.mu.RUnlock()
		return m.state, nil
	}
	return st, nil
}

func (st *keyState) schedule(kind oauth.KeyKind, p oauth.KeyPolicy, now time.Time) (oauth.KeySchedule, map[string]loadedKey) {
	lks := st.byKind[kind]
	keys := make([]oauth.Key, len(lks))
	byID := make(map[string]loadedKey, len(lks))
	for i, lk := range lks {
		keys[i] = lk.key
		byID[lk.key.ID()] = lk
	}
	return oauth.ScheduleKeys(keys, p, now), byID
}

// SigningKey implements oauthport.Keys.
func (m *KeyManager) SigningKey(ctx context.Context, algorithm string) (oauthport.SigningKey, error) {
	kind, ok := oauth.ParseKeyKind(algorithm)
	if !ok || !kind.Signing() {
		return oauthport.SigningKey{}, fmt.Errorf("no signing algorithm %q", algorithm)
	}
	st, err := m.current(ctx)
	if err != nil {
		return oauthport.SigningKey{}, err
	}
	s, byID := st.schedule(kind, m.policy(kind), m.clock.Now())
	cur, ok := s.Current()
	if !ok {
		return oauthport.SigningKey{}, ErrNoKey
	}
	return oauthport.SigningKey{ID: cur.ID(), Algorithm: kind.String(), Private: byID[cur.ID()].signer}, nil
}

// PublicKeys implements oauthport.Keys: RS256 keys first, each kind newest
// first.
func (m *KeyManager) PublicKeys(ctx context.Context) ([]oauthport.PublicKey, error) {
	st, err := m.current(ctx)
	if err != nil {
		return nil, err
	}
	now := m.clock.Now()
	var out []oauthport.PublicKey
	for _, kind := range []oauth.KeyKind{oauth.KeyRS256, oauth.KeyES256} {
		s, byID := st.schedule(kind, m.policy(kind), now)
		for _, k := range s.Verifying() {
			out = append(out, oauthport.PublicKey{ID: k.ID(), Algorithm: kind.String(), Public: byID[k.ID()].signer.Public()})
		}
	}
	return out, nil
}

// TokenSecrets implements oauthport.Keys. A pending secret is among the
// rotated ones: an instance whose clock runs ahead may already sign with it.
func (m *KeyManager) TokenSecrets(ctx context.Context) ([]byte, [][]byte, error) {
	st, err := m.current(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, byID := st.schedule(oauth.KeyTokenHMAC, m.policy(oauth.KeyTokenHMAC), m.clock.Now())
	cur, ok := s.Current()
	if !ok {
		return nil, nil, ErrNoKey
	}
	var rotated [][]byte
	for _, k := range s.Verifying() {
		if k.ID() != cur.ID() {
			rotated = append(rotated, byID[k.ID()].secret)
		}
	}
	return byID[cur.ID()].secret, rotated, nil
}

// secretKey returns the client secret hashing key with id, or the current
// one when id is "".
func (m *KeyManager) secretKey(ctx context.Context, id string) (string, []byte, error) {
	st, err := m.current(ctx)
	if err != nil {
		return "", nil, err
	}
	s, byID := st.schedule(oauth.KeySecretHMAC, m.policy(oauth.KeySecretHMAC), m.clock.Now())
	if id == "" {
		cur, ok := s.Current()
		if !ok {
			return "", nil, ErrNoKey
		}
		return cur.ID(), byID[cur.ID()].secret, nil
	}
	lk, ok := byID[id]
	if !ok {
		return "", nil, ErrNoKey
	}
	return id, lk.secret, nil
}

// Ensure implements oauthport.KeyAdmin.
func (m *KeyManager) Ensure(ctx context.Context) (oauthport.KeyReport, error) {
	if err := m.waitCreating(ctx); err != nil {
		return oauthport.KeyReport{}, err
	}
	return m.run(ctx, false)
}

// Rotate implements oauthport.KeyAdmin.
func (m *KeyManager) Rotate(ctx context.Context) (oauthport.KeyReport, error) {
	if err := m.waitCreating(ctx); err != nil {
		return oauthport.KeyReport{}, err
	}
	return m.run(ctx, true)
}

// Begin is Ensure at a server's start, split so that the server need not
// wait for a key to be generated. It loads and opens the stored keys (an
// error, such as a key the keyring cannot open, is returned). When no key
// is to be created it then does what Ensure does and returns a nil create.
// Otherwise (the first start on a new database, or a rotation that fell
// due) it returns create, which creates them as Ensure does, for the
// caller to run in the background: generating an RSA key takes longer
// than the rest of a server's start. Until create has returned once, every
// call that needs keys (SigningKey, PublicKeys, TokenSecrets, client
// secrets, Ensure, Rotate, Reseal) waits for it, up to the end of its
// context, rather than finding none; after a failed create they find what
// is stored, and create (or Ensure) may be called again.
func (m *KeyManager) Begin(ctx context.Context) (report oauthport.KeyReport, create func(context.Context) (oauthport.KeyReport, error), err error) {
	if err := m.load(ctx); err != nil {
		return oauthport.KeyReport{}, nil, err
	}
	if !m.creationDue() {
		report, err := m.run(ctx, false)
		return report, nil, err
	}
	done := make(chan struct{})
	m.mu.Lock()
	m.creating = done
	m.mu.Unlock()
	var once sync.Once
	return oauthport.KeyReport{}, func(ctx context.Context) (oauthport.KeyReport, error) {
		defer once.Do(func() { close(done) })
		return m.run(ctx, false)
	}, nil
}

// creationDue reports whether the loaded keys lack a kind or hold one due
// for rotation.
func (m *KeyManager) creationDue() bool {
	m.mu.RLock()
	st := m.state
	m.mu.RUnlock()
	now := m.clock.Now()
	for _, kind := range oauth.KeyKinds() {
		s, _ := st.schedule(kind, m.policy(kind), now)
		if _, due := s.Due(false); due {
			return true
		}
	}
	return false
}

// waitCreating waits for the creation Begin handed out, if any, to have
// returned once.
func (m *KeyManager) waitCreating(ctx context.Context) error {
	m.mu.RLock()
	done := m.creating
	m.mu.RUnlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *KeyManager) run(ctx context.Context, force bool) (oauthport.KeyReport, error) {
	if err := m.load(ctx); err != nil {
		return oauthport.KeyReport{}, err
	}
	m.mu.RLock()
	st := m.state
	m.mu.RUnlock()
	now := m.clock.Now()
	var report oauthport.KeyReport
	var expired []string
	for _, kind := range oauth.KeyKinds() {
		s, _ := st.schedule(kind, m.policy(kind), now)
		for _, k := range s.Expired() {
			expired = append(expired, k.ID())
			report.Changes = append(report.Changes, oauthport.KeyChange{Kind: kind.String(), ID: k.ID(), Action: "deleted"})
		}
		at, due := s.Due(force && kind != oauth.KeySecretHMAC)
		if !due {
			continue
		}
		id, err := m.create(ctx, kind, s.NextGeneration(), now, at)
		if errors.Is(err, oauth.ErrKeyExists) {
			continue // another instance created it first
		}
		if err != nil {
			return report, err
		}
		report.Changes = append(report.Changes, oauthport.KeyChange{Kind: kind.String(), ID: id, Action: "created", ActivatesAt: at})
	}
	if err := m.repo.Delete(ctx, expired); err != nil {
		return report, err
	}
	if err := m.load(ctx); err != nil {
		return report, err
	}
	report.Keys = m.statuses()
	return report, nil
}

func (m *KeyManager) statuses() []oauthport.KeyStatus {
	m.mu.RLock()
	st := m.state
	m.mu.RUnlock()
	now := m.clock.Now()
	var out []oauthport.KeyStatus
	for _, kind := range oauth.KeyKinds() {
		s, _ := st.schedule(kind, m.policy(kind), now)
		cur, _ := s.Current()
		for _, k := range s.Verifying() {
			state := "retired"
			switch {
			case k.ActivatesAt().After(now):
				state = "pending"
			case k.ID() == cur.ID():
				state = "current"
			}
			out = append(out, oauthport.KeyStatus{Kind: kind.String(), ID: k.ID(), Generation: k.Generation(), State: state,
				CreatedAt: k.CreatedAt(), ActivatesAt: k.ActivatesAt()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// create makes, seals and stores a key.
func (m *KeyManager) create(ctx context.Context, kind oauth.KeyKind, gen int, now, activatesAt time.Time) (string, error) {
	idBytes := make([]byte, 16)
	if _, err := rand.Read(idBytes); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(idBytes)
	var material []byte
	switch kind {
	case oauth.KeyRS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", err
		}
		if material, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
			return "", err
		}
	case oauth.KeyES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", err
		}
		if material, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
			return "", err
		}
	default:
		material = make([]byte, 32)
		if _, err := rand.Read(material); err != nil {
			return "", err
		}
	}
	sealed, err := m.keyring.Seal(ctx, material, associatedData(id))
	if err != nil {
		return "", fmt.Errorf("seal OAuth key: %w", err)
	}
	err = m.repo.Add(ctx, oauthport.StoredKey{Key: oauth.NewKey(id, kind, gen, now, activatesAt), Sealed: sealed})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Reseal implements oauthport.KeyAdmin.
func (m *KeyManager) Reseal(ctx context.Context) (int, error) {
	if err := m.waitCreating(ctx); err != nil {
		return 0, err
	}
	stored, err := m.repo.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sk := range stored {
		next, changed, err := m.keyring.Reseal(ctx, sk.Sealed, associatedData(sk.Key.ID()))
		if err != nil {
			return n, fmt.Errorf("reseal OAuth key %s: %w", sk.Key.ID(), err)
		}
		if !changed {
			continue
		}
		if err := m.repo.Reseal(ctx, sk.Key.ID(), next); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		if err := m.load(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}
