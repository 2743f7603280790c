package organizations_test

import (
	"errors"
	"testing"

	"github.com/secuird/authy/domain/organizations"
)

func TestJoinThroughSSO_AddsTheMemberWithTheConnectionsRoleButNeverAnOwner(t *testing.T) {
	o := fixture(t, false)
	if _, err := o.JoinThroughSSO(newbie, organizations.RoleOwner, now); !errors.Is(err, organizations.ErrOwnerRequired) {
		t.Fatalf("owner through SSO: %v", err)
	}
	if _, ok := o.Member(newbie); ok {
		t.Fatal("a refused join left a membership")
	}
	if _, err := o.JoinThroughSSO(member, organizations.RoleAdmin, now); !errors.Is(err, organizations.ErrAlreadyMember) {
		t.Fatalf("a member joining again: %v", err)
	}
	if o.RoleOf(member) != organizations.RoleMember {
		t.Fatal("a member's role changed by joining again")
	}
	o.PullEvents()
	m, err := o.JoinThroughSSO(newbie, organizations.RoleAdmin, now)
	if err != nil || m.Role() != organizations.RoleAdmin || o.RoleOf(newbie) != organizations.RoleAdmin {
		t.Fatalf("join: %+v %v", m, err)
	}
	events := o.PullEvents()
	if len(events) != 1 {
		t.Fatalf("events %+v", events)
	}
	added, ok := events[0].(organizations.MemberAdded)
	if !ok || added.User != newbie || added.Actor != newbie || added.Role != organizations.RoleAdmin {
		t.Fatalf("event %+v", events[0])
	}
}
