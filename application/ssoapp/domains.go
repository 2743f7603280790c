package ssoapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

var errVerifyRateLimited = shared.RateLimited(sso.CodeVerifyRateLimited, "too many verification attempts for this domain; retry later", 0)

func domainView(d *sso.Domain) ssoport.DomainView {
	v := ssoport.DomainView{
		Domain: d.Name(), Verified: d.Verified(), CreatedAt: d.CreatedAt(),
		ChallengeName: d.ChallengeName(), ChallengeValue: d.ChallengeValue(),
	}
	if d.Verified() {
		t := d.VerifiedAt()
		v.VerifiedAt = &t
	}
	return v
}

// AddDomain implements ssoport.Admin.
func (s *Service) AddDomain(ctx context.Context, actor shared.UserID, org shared.OrganizationID, name string) (ssoport.DomainView, error) {
	if err := s.owner(ctx, actor, org); err != nil {
		return ssoport.DomainView{}, err
	}
	token, err := s.d.NewToken()
	if err != nil {
		return ssoport.DomainView{}, fmt.Errorf("add domain: %w", err)
	}
	now := s.now()
	d, err := sso.AddDomain(s.d.NewID(), org, name, token, now)
	if err != nil {
		return ssoport.DomainView{}, err
	}
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		if v, err := s.d.Domains.FindVerified(ctx, d.Name()); err == nil && v.Organization() != org {
			return sso.ErrDomainTaken
		} else if err != nil && !errors.Is(err, sso.ErrDomainNotFound) {
			return err
		}
		if err := s.d.Domains.Add(ctx, d); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionDomainAdded, actor, org, "domain", d.Name(), map[string]any{"domain": d.Name()}, now))
	})
	if err != nil {
		return ssoport.DomainView{}, fmt.Errorf("add domain: %w", err)
	}
	return domainView(d), nil
}

// VerifyDomain implements ssoport.Admin. The DNS look-up happens before
// the transaction (no network I/O under a row lock); the transaction then
// records what it found, and the unique index on verified names decides
// between two organizations verifying at once.
func (s *Service) VerifyDomain(ctx context.Context, actor shared.UserID, org shared.OrganizationID, name string) (ssoport.DomainView, error) {
	if err := s.owner(ctx, actor, org); err != nil {
		return ssoport.DomainView{}, err
	}
	n, err := sso.ParseDomainName(name)
	if err != nil {
		return ssoport.DomainView{}, sso.ErrDomainNotFound
	}
	d, err := s.d.Domains.Get(ctx, org, n)
	if err != nil {
		return ssoport.DomainView{}, err
	}
	if d.Verified() {
		return domainView(d), nil
	}
	dec, err := s.d.Limiter.Take(ctx, "sso:verify:"+org.String()+":"+n, s.d.Limits.VerifyPerDomain)
	switch {
	case err != nil:
		return ssoport.DomainView{}, fmt.Errorf("verify domain: rate limiter: %w", err)
	case !dec.Allowed:
		return ssoport.DomainView{}, errVerifyRateLimited.WithRetryAfter(dec.RetryAfter)
	}
	records, err := s.d.Resolver.LookupTXT(ctx, d.ChallengeName())
	if err != nil {
		s.d.Log.WarnContext(ctx, "domain verification: DNS look-up failed", "domain", n, "error", err.Error())
		return ssoport.DomainView{}, sso.ErrDNSUnavailable
	}
	if err := d.Verify(records, s.now()); err != nil {
		return ssoport.DomainView{}, err
	}
	var out *sso.Domain
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		var verified bool
		out, err = s.d.Domains.Update(ctx, org, n, func(d *sso.Domain) error {
			verified = !d.Verified()
			return d.Verify(records, now)
		})
		if err != nil || !verified {
			return err
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionDomainVerified, actor, org, "domain", n, map[string]any{"domain": n}, now))
	})
	if err != nil {
		return ssoport.DomainView{}, fmt.Errorf("verify domain: %w", err)
	}
	return domainView(out), nil
}

// ListDomains implements ssoport.Admin.
func (s *Service) ListDomains(ctx context.Context, actor shared.UserID, org shared.OrganizationID) ([]ssoport.DomainView, error) {
	if err := s.owner(ctx, actor, org); err != nil {
		return nil, err
	}
	list, err := s.d.Domains.List(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	out := make([]ssoport.DomainView, len(list))
	for i, d := range list {
		out[i] = domainView(d)
	}
	return out, nil
}

// RemoveDomain implements ssoport.Admin.
func (s *Service) RemoveDomain(ctx context.Context, actor shared.UserID, org shared.OrganizationID, name string) error {
	if err := s.owner(ctx, actor, org); err != nil {
		return err
	}
	n, err := sso.ParseDomainName(name)
	if err != nil {
		return sso.ErrDomainNotFound
	}
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		routed, err := s.d.Connections.RoutesDomain(ctx, org, n)
		if err != nil {
			return err
		}
		if routed {
			return sso.ErrDomainInUse
		}
		if err := s.d.Domains.Delete(ctx, org, n); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionDomainRemoved, actor, org, "domain", n, map[string]any{"domain": n}, s.now()))
	})
	if err != nil {
		return fmt.Errorf("remove domain: %w", err)
	}
	return nil
}
