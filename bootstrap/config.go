package bootstrap

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"

	"github.com/secuird/authy/adapters/httpapi/pageshttp"
)

// Config is every setting of the server, read from environment variables
// (and a .env file when present). .env.example documents each one.
type Config struct {
	AppEnv    string `env:"APP_ENV" envDefault:"development"`
	Host      string `env:"HOST" envDefault:"127.0.0.1"`
	Port      int    `env:"PORT" envDefault:"5000"`
	PublicURL string `env:"PUBLIC_URL" envDefault:"http://127.0.0.1:5000"`
	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`

	SecretKey       string `env:"SECRET_KEY"`
	EncryptionKey   string `env:"ENCRYPTION_KEY"`
	CAEncryptionKey string `env:"CA_ENCRYPTION_KEY"`
	// Retired keys, comma-separated: they still verify (SECRET_KEY) or
	// decrypt (the two keyrings) so each key can rotate; see bootstrap/keys.go.
	SecretKeysPrevious       []string `env:"SECRET_KEYS_PREVIOUS" envSeparator:","`
	EncryptionKeysPrevious   []string `env:"ENCRYPTION_KEYS_PREVIOUS" envSeparator:","`
	CAEncryptionKeysPrevious []string `env:"CA_ENCRYPTION_KEYS_PREVIOUS" envSeparator:","`

	DatabaseURL       string        `env:"DATABASE_URL"`
	SQLitePath        string        `env:"SQLITE_PATH" envDefault:"var/authy.db"`
	DBMaxOpenConns    int           `env:"DB_MAX_OPEN_CONNS" envDefault:"20"`
	DBMaxIdleConns    int           `env:"DB_MAX_IDLE_CONNS" envDefault:"10"`
	DBConnMaxLifetime time.Duration `env:"DB_CONN_MAX_LIFETIME" envDefault:"30m"`
	MigrateOnStart    bool          `env:"MIGRATE_ON_START" envDefault:"true"`

	// Bounds on waiting for the database (0 leaves a PostgreSQL setting to
	// the server); REQUEST_TIMEOUT bounds each HTTP request as a whole.
	DBConnectTimeout           time.Duration `env:"DB_CONNECT_TIMEOUT" envDefault:"5s"`
	DBStatementTimeout         time.Duration `env:"DB_STATEMENT_TIMEOUT" envDefault:"5s"`
	DBIdleInTransactionTimeout time.Duration `env:"DB_IDLE_IN_TRANSACTION_TIMEOUT" envDefault:"15s"`
	RequestTimeout             time.Duration `env:"REQUEST_TIMEOUT" envDefault:"10s"`

	RedisURL       string `env:"REDIS_URL"`
	RedisKeyPrefix string `env:"REDIS_KEY_PREFIX" envDefault:"authy:"`
	RedisPoolSize  int    `env:"REDIS_POOL_SIZE" envDefault:"20"`

	CORSOrigins     []string      `env:"CORS_ORIGINS" envSeparator:","`
	TrustedProxies  []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	BodyLimitBytes  int           `env:"BODY_LIMIT_BYTES" envDefault:"1048576"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// Bounds at the edge: request line and headers, open connections in
	// all and per client IP (0: no bound).
	MaxHeaderBytes int `env:"MAX_HEADER_BYTES" envDefault:"16384"`
	MaxConns       int `env:"MAX_CONNS" envDefault:"10000"`
	MaxConnsPerIP  int `env:"MAX_CONNS_PER_IP" envDefault:"256"`
	// MetricsAddr is the separate listener of GET /metrics; set to empty
	// to serve no metrics.
	MetricsAddr string `env:"METRICS_ADDR" envDefault:"127.0.0.1:9464"`

	SessionIdleTimeout     int `env:"SESSION_IDLE_TIMEOUT" envDefault:"900"`
	SessionAbsoluteTimeout int `env:"SESSION_ABSOLUTE_TIMEOUT" envDefault:"28800"`
	// SessionRevocationPoll is how often each instance sharing Redis reads
	// the revocations still pending in the database; a revoked token is
	// refused everywhere at most twice this long after it was revoked.
	SessionRevocationPoll time.Duration `env:"SESSION_REVOCATION_POLL" envDefault:"200ms"`
	// AuthUnknownTokensPerIP is how many unknown bearer tokens a client may
	// present per minute before its token look-ups get 429.
	AuthUnknownTokensPerIP int `env:"AUTH_UNKNOWN_TOKENS_PER_IP" envDefault:"30"`
	// AuthReturnURLs are the targets other than Authy's own origin a
	// sign-in page may send the browser to (return_to): origins, which
	// allow any URL on them, or exact URLs; https, or http for loopback.
	AuthReturnURLs []string `env:"AUTH_RETURN_URLS" envSeparator:","`

	Argon2MemoryKiB   uint32 `env:"ARGON2_MEMORY_KIB" envDefault:"19456"`
	Argon2Iterations  uint32 `env:"ARGON2_ITERATIONS" envDefault:"2"`
	Argon2Parallelism uint8  `env:"ARGON2_PARALLELISM" envDefault:"1"`
	// PasswordHashConcurrency bounds argon2id hashes in flight (0 = one per CPU).
	PasswordHashConcurrency int `env:"PASSWORD_HASH_CONCURRENCY" envDefault:"0"`

	// Abuse limits of the identity endpoints, shared by every instance
	// (README, "Abuse limits"). A client is an IPv4 address or an IPv6 /64.
	LoginRateLimitPerIP               int `env:"LOGIN_RATE_LIMIT_PER_IP" envDefault:"10"`               // attempts per minute
	LoginFailuresPerAccountClient     int `env:"LOGIN_FAILURES_PER_ACCOUNT_CLIENT" envDefault:"5"`      // failures per 15 minutes for one account from one client
	LoginFailuresPerAccount           int `env:"LOGIN_FAILURES_PER_ACCOUNT" envDefault:"20"`            // failures per 15 minutes from all clients; then only known clients
	RegisterRateLimitPerIP            int `env:"REGISTER_RATE_LIMIT_PER_IP" envDefault:"30"`            // registrations per hour
	PasswordChangeRateLimitPerUser    int `env:"PASSWORD_CHANGE_RATE_LIMIT_PER_USER" envDefault:"20"`   // attempts per hour, all sessions
	PasswordChangeRateLimitPerSession int `env:"PASSWORD_CHANGE_RATE_LIMIT_PER_SESSION" envDefault:"5"` // attempts per hour per session, and per user from one client
	EmailChangeRateLimitPerUser       int `env:"EMAIL_CHANGE_RATE_LIMIT_PER_USER" envDefault:"5"`       // attempts per hour
	EmailChangeRateLimitPerIP         int `env:"EMAIL_CHANGE_RATE_LIMIT_PER_IP" envDefault:"20"`        // attempts per hour

	// Mailed account links (README, "Accounts"): verification mails asked
	// for again, reset requests, and links opened.
	VerificationResendRateLimitPerUser int `env:"VERIFICATION_RESEND_RATE_LIMIT_PER_USER" envDefault:"3"` // requests per hour
	VerificationResendRateLimitPerIP   int `env:"VERIFICATION_RESEND_RATE_LIMIT_PER_IP" envDefault:"10"`  // requests per hour
	PasswordResetRateLimitPerIP        int `env:"PASSWORD_RESET_RATE_LIMIT_PER_IP" envDefault:"10"`       // reset requests per hour
	PasswordResetRateLimitPerAccount   int `env:"PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT" envDefault:"3"`   // reset requests per hour for one email, known or not
	LinkTokenRateLimitPerIP            int `env:"LINK_TOKEN_RATE_LIMIT_PER_IP" envDefault:"100"`          // verification and reset tokens presented per hour

	// SCIM provisioning (README, "SCIM provisioning"): requests per minute
	// per token, and per client (IPv4 address or IPv6 /64) whatever the
	// token, so a directory's bulk sync fits and a flood stays off the
	// database.
	SCIMRateLimitPerToken int `env:"SCIM_RATE_LIMIT_PER_TOKEN" envDefault:"600"`
	SCIMRateLimitPerIP    int `env:"SCIM_RATE_LIMIT_PER_IP" envDefault:"1200"`

	// Organization invitations: how long one stays usable, and how many one
	// user and one client (IPv4 address or IPv6 /64) may send per hour.
	InvitationTTL              time.Duration `env:"INVITATION_TTL" envDefault:"168h"`
	InvitationRateLimitPerUser int           `env:"INVITATION_RATE_LIMIT_PER_USER" envDefault:"50"`
	InvitationRateLimitPerIP   int           `env:"INVITATION_RATE_LIMIT_PER_IP" envDefault:"100"`

	// The OpenID Provider (README, "OpenID Provider"): token lifetimes, how
	// long a rotated-out client secret keeps working, and the age at which
	// the signing keys and the opaque-token secret are succeeded.
	OAuthAccessTokenTTL       time.Duration `env:"OAUTH_ACCESS_TOKEN_TTL" envDefault:"1h"`
	OAuthRefreshTokenTTL      time.Duration `env:"OAUTH_REFRESH_TOKEN_TTL" envDefault:"720h"`
	OAuthAuthorizationCodeTTL time.Duration `env:"OAUTH_AUTHORIZATION_CODE_TTL" envDefault:"60s"`
	OIDCIDTokenTTL            time.Duration `env:"OIDC_ID_TOKEN_TTL" envDefault:"1h"`
	OAuthSecretRotationGrace  time.Duration `env:"OAUTH_SECRET_ROTATION_GRACE" envDefault:"24h"`
	OIDCKeyRotationDays       int           `env:"OIDC_KEY_ROTATION_DAYS" envDefault:"90"`

	// AuditSealInterval is the longest a committed audit record waits for
	// a sealer pass when no commit on this instance wakes it (a record
	// another instance wrote while its own sealer was down).
	AuditSealInterval time.Duration `env:"AUDIT_SEAL_INTERVAL" envDefault:"200ms"`

	JobName            string `env:"JOB_NAME"`
	JobIntervalSeconds int    `env:"JOB_INTERVAL_SECONDS" envDefault:"300"`

	ContactEmailTo string `env:"CONTACT_EMAIL_TO" envDefault:"info@secuird.tech"`
	SMTPURL        string `env:"SMTP_URL"`
	MailFrom       string `env:"MAIL_FROM" envDefault:"Authy <no-reply@localhost>"`

	// Social sign-in (README, "Social sign-in"): each provider is enabled
	// when its client id and secret are set. GITHUB_URL is a GitHub
	// Enterprise Server; MICROSOFT_TENANT common, organizations, consumers
	// or a tenant id.
	GoogleClientID        string `env:"GOOGLE_CLIENT_ID"`
	GoogleClientSecret    string `env:"GOOGLE_CLIENT_SECRET"`
	GitHubClientID        string `env:"GITHUB_CLIENT_ID"`
	GitHubClientSecret    string `env:"GITHUB_CLIENT_SECRET"`
	GitHubURL             string `env:"GITHUB_URL"`
	MicrosoftClientID     string `env:"MICROSOFT_CLIENT_ID"`
	MicrosoftClientSecret string `env:"MICROSOFT_CLIENT_SECRET"`
	MicrosoftTenant       string `env:"MICROSOFT_TENANT" envDefault:"common"`
	// OIDCProviders names the OpenID Connect providers (OIDC_PROVIDERS);
	// each one's OIDC_<NAME>_* settings are read into OIDC (see
	// readOIDCProviders), in the same order.
	OIDCProviders []string             `env:"OIDC_PROVIDERS" envSeparator:","`
	OIDC          []OIDCProviderConfig `env:"-"`

	// Enterprise SSO (README, "Enterprise SSO"): DNSResolver (host:port)
	// replaces the system's resolver for domain verification; SSOAllowPrivateIdP
	// lets connections reach identity providers on plain http and on
	// loopback or private addresses (tests, an IdP on the operator's own
	// network), which owners' URLs otherwise never reach.
	DNSResolver        string `env:"DNS_RESOLVER"`
	SSOAllowPrivateIdP bool   `env:"SSO_ALLOW_PRIVATE_IDP" envDefault:"false"`
}

// The environments APP_ENV accepts.
const (
	EnvDevelopment = "development"
	EnvTesting     = "testing"
	EnvProduction  = "production"
)

// minKeyBytes is the shortest SECRET_KEY / ENCRYPTION_KEY accepted in
// production (256 bits).
const minKeyBytes = 32

// DefaultConfig returns the configuration with every default and nothing
// read from the environment (tests start from it).
func DefaultConfig() Config {
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: map[string]string{}})
	if err != nil {
		panic("config defaults do not parse: " + err.Error())
	}
	return cfg
}

// LoadConfig reads .env (if present, without overriding the real
// environment) and then the environment, and validates the result.
func LoadConfig() (Config, error) {
	if err := godotenv.Load(); err != nil && !isNotExist(err) {
		return Config{}, fmt.Errorf("read .env: %w", err)
	}
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	cfg.OIDC = readOIDCProviders(cfg.OIDCProviders, os.LookupEnv)
	// The env library gives a variable set to "" its default; an empty
	// METRICS_ADDR means no metrics listener.
	if v, ok := os.LookupEnv("METRICS_ADDR"); ok {
		cfg.MetricsAddr = strings.TrimSpace(v)
	}
	return cfg, cfg.Validate()
}

// Validate checks settings that would otherwise fail late or insecurely.
func (c Config) Validate() error {
	var problems []string
	switch c.AppEnv {
	case EnvDevelopment, EnvTesting, EnvProduction:
	default:
		problems = append(problems, fmt.Sprintf("APP_ENV must be development, testing or production (got %q)", c.AppEnv))
	}
	if c.Production() {
		if len(c.SecretKey) < minKeyBytes {
			problems = append(problems, fmt.Sprintf("SECRET_KEY must be set to at least %d bytes in production", minKeyBytes))
		}
		if len(c.EncryptionKey) < minKeyBytes {
			problems = append(problems, fmt.Sprintf("ENCRYPTION_KEY must be set to at least %d bytes in production", minKeyBytes))
		}
		if c.CAEncryptionKey != "" && len(c.CAEncryptionKey) < minKeyBytes {
			problems = append(problems, fmt.Sprintf("CA_ENCRYPTION_KEY must be at least %d bytes in production", minKeyBytes))
		}
	}
	problems = append(problems, c.validateKeyRotation()...)
	if c.Port < 0 || c.Port > 65535 {
		problems = append(problems, "PORT must be between 0 and 65535")
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			problems = append(problems, "DATABASE_URL must be a postgres:// URL (leave it empty for the embedded SQLite file)")
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			problems = append(problems, "REDIS_URL must be a redis:// or rediss:// URL")
		}
	}
	if c.SessionIdleTimeout <= 0 || c.SessionAbsoluteTimeout <= 0 {
		problems = append(problems, "SESSION_IDLE_TIMEOUT and SESSION_ABSOLUTE_TIMEOUT must be positive")
	} else if c.SessionIdleTimeout > c.SessionAbsoluteTimeout {
		problems = append(problems, "SESSION_IDLE_TIMEOUT must not exceed SESSION_ABSOLUTE_TIMEOUT")
	}
	if c.AuditSealInterval < 10*time.Millisecond || c.AuditSealInterval > time.Second {
		problems = append(problems, "AUDIT_SEAL_INTERVAL must be between 10ms and 1s (every audit record is sealed within about a second of its commit)")
	}
	if c.SessionRevocationPoll < 10*time.Millisecond || c.SessionRevocationPoll > 10*time.Second {
		problems = append(problems, "SESSION_REVOCATION_POLL must be between 10ms and 10s")
	}
	if c.AuthUnknownTokensPerIP < 1 {
		problems = append(problems, "AUTH_UNKNOWN_TOKENS_PER_IP must be at least 1")
	}
	if _, err := pageshttp.NewReturnPolicy(c.PublicURL, c.AuthReturnURLs); err != nil {
		problems = append(problems, err.Error())
	}
	if c.Argon2MemoryKiB < 19456 || c.Argon2Iterations < 2 || c.Argon2Parallelism < 1 {
		problems = append(problems, "argon2id parameters must be at least OWASP's: ARGON2_MEMORY_KIB>=19456, ARGON2_ITERATIONS>=2, ARGON2_PARALLELISM>=1")
	}
	if c.LoginRateLimitPerIP < 1 || c.LoginFailuresPerAccount < 1 || c.RegisterRateLimitPerIP < 1 || c.PasswordChangeRateLimitPerUser < 1 {
		problems = append(problems, "LOGIN_RATE_LIMIT_PER_IP, LOGIN_FAILURES_PER_ACCOUNT, REGISTER_RATE_LIMIT_PER_IP and PASSWORD_CHANGE_RATE_LIMIT_PER_USER must be at least 1")
	}
	if c.LoginFailuresPerAccountClient < 1 || c.PasswordChangeRateLimitPerSession < 1 || c.EmailChangeRateLimitPerUser < 1 || c.EmailChangeRateLimitPerIP < 1 {
		problems = append(problems, "LOGIN_FAILURES_PER_ACCOUNT_CLIENT, PASSWORD_CHANGE_RATE_LIMIT_PER_SESSION, EMAIL_CHANGE_RATE_LIMIT_PER_USER and EMAIL_CHANGE_RATE_LIMIT_PER_IP must be at least 1")
	}
	if c.SCIMRateLimitPerToken < 1 || c.SCIMRateLimitPerIP < 1 {
		problems = append(problems, "SCIM_RATE_LIMIT_PER_TOKEN and SCIM_RATE_LIMIT_PER_IP must be at least 1")
	}
	if c.VerificationResendRateLimitPerUser < 1 || c.VerificationResendRateLimitPerIP < 1 || c.PasswordResetRateLimitPerIP < 1 ||
		c.PasswordResetRateLimitPerAccount < 1 || c.LinkTokenRateLimitPerIP < 1 {
		problems = append(problems, "VERIFICATION_RESEND_RATE_LIMIT_PER_USER, VERIFICATION_RESEND_RATE_LIMIT_PER_IP, PASSWORD_RESET_RATE_LIMIT_PER_IP, PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT and LINK_TOKEN_RATE_LIMIT_PER_IP must be at least 1")
	}
	if c.InvitationTTL < time.Minute || c.InvitationTTL > 90*24*time.Hour {
		problems = append(problems, "INVITATION_TTL must be between 1m and 2160h (90 days)")
	}
	if c.InvitationRateLimitPerUser < 1 || c.InvitationRateLimitPerIP < 1 {
		problems = append(problems, "INVITATION_RATE_LIMIT_PER_USER and INVITATION_RATE_LIMIT_PER_IP must be at least 1")
	}
	problems = append(problems, c.validateOAuth()...)
	if c.PasswordHashConcurrency < 0 {
		problems = append(problems, "PASSWORD_HASH_CONCURRENCY must not be negative (0 = one per CPU)")
	}
	if c.BodyLimitBytes <= 0 {
		problems = append(problems, "BODY_LIMIT_BYTES must be positive")
	}
	if c.RequestTimeout <= 0 || c.DBConnectTimeout <= 0 {
		problems = append(problems, "REQUEST_TIMEOUT and DB_CONNECT_TIMEOUT must be positive")
	}
	if c.DBStatementTimeout < 0 || c.DBIdleInTransactionTimeout < 0 {
		problems = append(problems, "DB_STATEMENT_TIMEOUT and DB_IDLE_IN_TRANSACTION_TIMEOUT must not be negative (0 leaves the server's setting)")
	}
	if c.MaxHeaderBytes < 4096 || c.MaxHeaderBytes > 1<<20 {
		problems = append(problems, "MAX_HEADER_BYTES must be between 4096 and 1048576")
	}
	if c.MaxConns < 0 || c.MaxConnsPerIP < 0 {
		problems = append(problems, "MAX_CONNS and MAX_CONNS_PER_IP must not be negative (0 = no bound)")
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			problems = append(problems, fmt.Sprintf("METRICS_ADDR must be host:port (IPv6 in brackets), or empty for none (got %q)", c.MetricsAddr))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			problems = append(problems, fmt.Sprintf("METRICS_ADDR has an invalid port (got %q)", c.MetricsAddr))
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, c.validateFederation()...)
	if len(problems) > 0 {
		return errors.New("invalid configuration: " + strings.Join(problems, "; "))
	}
	return nil
}

// Production reports APP_ENV=production.
func (c Config) Production() bool { return c.AppEnv == EnvProduction }

// Addr is the listen address; an IPv6 HOST may be given with or without
// brackets.
func (c Config) Addr() string {
	host := strings.TrimSuffix(strings.TrimPrefix(c.Host, "["), "]")
	return net.JoinHostPort(host, strconv.Itoa(c.Port))
}

// SessionIdle is the idle timeout as a duration.
func (c Config) SessionIdle() time.Duration {
	return time.Duration(c.SessionIdleTimeout) * time.Second
}

// SessionAbsolute is the absolute timeout as a duration.
func (c Config) SessionAbsolute() time.Duration {
	return time.Duration(c.SessionAbsoluteTimeout) * time.Second
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error (got %q)", s)
	}
	return l, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
