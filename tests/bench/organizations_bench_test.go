//go:build integration

package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

// The two organizations every membership benchmark compares.
const (
	orgBenchSmall = 10
	orgBenchLarge = 100_000
	// orgBenchPool is how many seeded members of each organization the
	// role changes and removals take turns on.
	orgBenchPool = orgBenchSmall - 1
)

const orgBenchUserPrefix = "00000000-0000-4000-a000-"

func orgBenchUserID(i int) shared.UserID {
	return shared.UserID(uuid.MustParse(fmt.Sprintf("%s%012x", orgBenchUserPrefix, i)))
}

// orgBench is the organizations use cases on PostgreSQL with one
// organization of orgBenchSmall members and one of orgBenchLarge.
type orgBench struct {
	db    *pgstore.DB
	svc   *organizationsapp.Service
	dir   *identityporttest.Directory
	owner shared.UserID
	orgs  [2]shared.OrganizationID
	// seeded[k] are the first seeded (plain) members of orgs[k].
	seeded [2][]shared.UserID
	// next is the next free number for a bench user.
	next int
}

// BenchmarkMembershipChange measures one membership change through the
// organizations use cases (organizationsapp.Service on the PostgreSQL
// stores: organizationspg, and the audit recorder on auditpg in the same
// unit of work; identity's directory is the in-memory fake) in an
// organization of 10 members and in one of 100,000, alternating between the
// two on every iteration so both see the same machine at the same time. The
// large one is seeded by bulk SQL. Each case reports p50 and p99 per size
// and the ratio p50(100k)/p50(10):
//
//   - invite: AddMember, the use case behind POST /organizations/{id}/members
//     (it invites the address; the invitation is deleted again, untimed);
//   - accept: AcceptInvitation, the invitation becoming a membership (the
//     membership is deleted again, untimed, so the sizes stay 10 and 100k);
//   - jit_join: JoinThroughSSO, the membership a first sign-in through an
//     SSO connection adds (deleted again, untimed);
//   - change_role: ChangeRole of a member to admin and back;
//   - remove: RemoveMember (the membership is put back, untimed).
//
// Run it with:
//
//	go test -tags integration -run '^$' -bench BenchmarkMembershipChange -benchtime 200x ./tests/bench
func BenchmarkMembershipChange(b *testing.B) {
	e := newOrgBench(b)
	ctx := context.Background()

	b.Run("invite", func(b *testing.B) {
		e.run(b, func(k, i int) (time.Duration, error) {
			email := fmt.Sprintf("invitee-%d-%d-%s@bench.example", k, i, testenv.Unique())
			t0 := time.Now()
			v, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: e.owner, Organization: e.orgs[k], Email: email, Role: "member"})
			d := time.Since(t0)
			if err != nil {
				return 0, err
			}
			return d, e.exec(`DELETE FROM organization_invitations WHERE id = ?`, v.ID.String())
		})
	})

	b.Run("accept", func(b *testing.B) {
		type invitee struct {
			user       shared.UserID
			invitation uuid.UUID
		}
		invitees := [2][]invitee{}
		for k := range e.orgs {
			from := e.next
			e.addUsers(b, b.N)
			now := time.Now().UTC()
			for i := 0; i < b.N; i++ {
				u := orgBenchUserID(from + i)
				e.dir.Put(identityport.UserSummary{ID: u, Email: orgBenchEmail(from + i), Name: "Invitee", EmailVerified: true})
				inv := uuid.New()
				if err := e.exec(`INSERT INTO organization_invitations (id, organization_id, email, role, invited_by, created_at, expires_at, status)
					VALUES (?, ?, ?, 'member', ?, ?, ?, 'pending')`,
					inv.String(), e.orgs[k].String(), orgBenchEmail(from+i), e.owner.String(), now, now.Add(24*time.Hour)); err != nil {
					b.Fatal(err)
				}
				invitees[k] = append(invitees[k], invitee{u, inv})
			}
		}
		e.run(b, func(k, i int) (time.Duration, error) {
			x := invitees[k][i]
			t0 := time.Now()
			_, err := e.svc.AcceptInvitation(ctx, x.user, x.invitation)
			d := time.Since(t0)
			if err != nil {
				return 0, err
			}
			return d, e.exec(`DELETE FROM organization_memberships WHERE organization_id = ? AND user_id = ?`, e.orgs[k].String(), x.user.String())
		})
	})

	b.Run("jit_join", func(b *testing.B) {
		joiners := [2][]shared.UserID{}
		for k := range e.orgs {
			from := e.next
			e.addUsers(b, b.N)
			for i := 0; i < b.N; i++ {
				joiners[k] = append(joiners[k], orgBenchUserID(from+i))
			}
		}
		e.run(b, func(k, i int) (time.Duration, error) {
			u := joiners[k][i]
			t0 := time.Now()
			err := e.svc.JoinThroughSSO(ctx, e.orgs[k], u, "member")
			d := time.Since(t0)
			if err != nil {
				return 0, err
			}
			return d, e.exec(`DELETE FROM organization_memberships WHERE organization_id = ? AND user_id = ?`, e.orgs[k].String(), u.String())
		})
	})

	b.Run("change_role", func(b *testing.B) {
		e.run(b, func(k, i int) (time.Duration, error) {
			u := e.seeded[k][i%orgBenchPool]
			role, err := e.role(k, u)
			if err != nil {
				return 0, err
			}
			to := "admin"
			if role == "admin" {
				to = "member"
			}
			t0 := time.Now()
			_, err = e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: e.owner, Organization: e.orgs[k], User: u, Role: to})
			return time.Since(t0), err
		})
	})

	b.Run("remove", func(b *testing.B) {
		e.run(b, func(k, i int) (time.Duration, error) {
			u := e.seeded[k][i%orgBenchPool]
			role, err := e.role(k, u)
			if err != nil {
				return 0, err
			}
			t0 := time.Now()
			err = e.svc.RemoveMember(ctx, e.owner, e.orgs[k], u)
			d := time.Since(t0)
			if err != nil {
				return 0, err
			}
			return d, e.exec(`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
				e.orgs[k].String(), u.String(), role, time.Now().UTC())
		})
	})
}

func newOrgBench(b *testing.B) *orgBench {
	b.Helper()
	ctx := context.Background()
	db, err := pgstore.Open(pgstore.Options{
		URL: testenv.NewPostgresDatabase(b), MaxOpenConns: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	m, err := pgstore.NewMigrator(db, migrations.FS)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		b.Fatal(err)
	}
	clock := platformport.SystemClock
	dir := identityporttest.NewDirectory()
	store := organizationspg.New(db)
	unlimited := platformport.Limit{Max: 1 << 30, Window: time.Hour}
	svc, err := organizationsapp.New(organizationsapp.Deps{
		UnitOfWork: db, Organizations: store, Directory: dir,
		Recorder: auditapp.NewRecorder(auditpg.New(db), db, clock, platformport.NopMeter{}),
		Clock:    clock, Tokens: security.InvitationTokens{}, Limiter: platformmem.NewRateLimiter(clock),
		Limits: organizationsapp.Limits{InvitePerUser: unlimited, InvitePerClient: unlimited},
	})
	if err != nil {
		b.Fatal(err)
	}
	e := &orgBench{db: db, svc: svc, dir: dir}

	e.addUsers(b, 1)
	e.owner = orgBenchUserID(0)
	dir.Put(identityport.UserSummary{ID: e.owner, Email: orgBenchEmail(0), Name: "Owner", EmailVerified: true})
	seeded := time.Now()
	for k, size := range []int{orgBenchSmall, orgBenchLarge} {
		org, err := svc.Create(ctx, organizationsport.CreateCommand{Actor: e.owner, Name: fmt.Sprintf("Bench %d", size)})
		if err != nil {
			b.Fatal(err)
		}
		e.orgs[k] = org.ID
		from := e.next
		e.addUsers(b, size-1)
		if err := e.exec(fmt.Sprintf(`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at)
			SELECT ?, ('%s' || lpad(to_hex(g), 12, '0'))::uuid, 'member', timestamptz '2025-01-01T00:00:00Z' + g * interval '1 second'
			FROM generate_series(?::int, ?::int) AS g`, orgBenchUserPrefix), org.ID.String(), from, from+size-2); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < orgBenchPool; i++ {
			e.seeded[k] = append(e.seeded[k], orgBenchUserID(from+i))
		}
	}
	if err := e.exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded organizations of %d and %d members in %s", orgBenchSmall, orgBenchLarge, time.Since(seeded).Round(time.Millisecond))
	return e
}

func orgBenchEmail(i int) string { return fmt.Sprintf("user-%d@bench.example", i) }

// addUsers inserts n users (numbered from e.next) in one statement.
func (e *orgBench) addUsers(b *testing.B, n int) {
	b.Helper()
	if n <= 0 {
		return
	}
	err := e.exec(fmt.Sprintf(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
		SELECT ('%s' || lpad(to_hex(g), 12, '0'))::uuid, 'user-' || g || '@bench.example', 'user-' || g || '@bench.example',
		       'Bench User', 'x', now(), now()
		FROM generate_series(?::int, ?::int) AS g`, orgBenchUserPrefix), e.next, e.next+n-1)
	if err != nil {
		b.Fatal(err)
	}
	e.next += n
}

// role reads u's stored role in orgs[k] (untimed set-up of a change).
func (e *orgBench) role(k int, u shared.UserID) (string, error) {
	var role string
	err := e.db.Gorm().Raw(`SELECT role FROM organization_memberships WHERE organization_id = ? AND user_id = ?`,
		e.orgs[k].String(), u.String()).Scan(&role).Error
	return role, err
}

func (e *orgBench) exec(sql string, args ...any) error {
	return e.db.Gorm().Exec(sql, args...).Error
}

// run calls op b.N times on each organization, alternating which goes
// first, and reports the latencies op measured.
func (e *orgBench) run(b *testing.B, op func(k, i int) (time.Duration, error)) {
	b.Helper()
	lat := [2][]time.Duration{make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, k := range [][2]int{{0, 1}, {1, 0}}[i%2] {
			d, err := op(k, i)
			if err != nil {
				b.Fatalf("organization of %d members, iteration %d: %v", []int{orgBenchSmall, orgBenchLarge}[k], i, err)
			}
			lat[k] = append(lat[k], d)
		}
	}
	b.StopTimer()
	for k := range lat {
		sort.Slice(lat[k], func(i, j int) bool { return lat[k][i] < lat[k][j] })
	}
	p50s, p50l := auditQuantile(lat[0], 0.50), auditQuantile(lat[1], 0.50)
	b.ReportMetric(auditMillis(p50s), "p50-10-ms")
	b.ReportMetric(auditMillis(auditQuantile(lat[0], 0.99)), "p99-10-ms")
	b.ReportMetric(auditMillis(p50l), "p50-100k-ms")
	b.ReportMetric(auditMillis(auditQuantile(lat[1], 0.99)), "p99-100k-ms")
	b.ReportMetric(float64(p50l)/float64(max(p50s, 1)), "p50-100k/10")
}
