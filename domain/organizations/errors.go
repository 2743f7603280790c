package organizations

import "github.com/secuird/authy/domain/shared"

// The context's errors. Their codes are public API.
var (
	// ErrNotFound answers both an organization that does not exist and one
	// the caller is not a member of, so non-members learn nothing.
	ErrNotFound = shared.NotFound("organizations.not_found", "organization not found")
	// ErrMemberNotFound is a target user who is not a member.
	ErrMemberNotFound = shared.NotFound("organizations.member_not_found", "member not found")
	// ErrUserNotFound is a user joining who has no live account any more.
	ErrUserNotFound = shared.NotFound("organizations.user_not_found", "no such user")
	// ErrForbidden is a member whose role does not allow the action.
	ErrForbidden = shared.Forbidden("organizations.forbidden", "your role in this organization does not allow this action")
	// ErrMFAPolicyOwnersOnly refuses an admin changing the multi-factor
	// policy.
	ErrMFAPolicyOwnersOnly = shared.Forbidden("organizations.owner_required", "only owners can change the multi-factor policy")
	// ErrMFAEnrolmentRequired refuses a member without a second factor
	// acting in an organization that requires one.
	ErrMFAEnrolmentRequired = shared.Forbidden("organizations.mfa_enrolment_required",
		"this organization requires multi-factor sign-in: add a second factor to your account first")
	// ErrEnrolBeforeRequiring refuses an owner without a second factor
	// turning the policy on: it would lock them out.
	ErrEnrolBeforeRequiring = shared.Conflict("organizations.mfa_enrolment_required",
		"add a second factor to your own account before requiring one")
	// ErrOwnerRequired is a non-owner granting, removing or changing the owner role.
	ErrOwnerRequired = shared.Forbidden("organizations.owner_required", "only owners can grant, change or remove the owner role")
	// ErrLastOwner refuses a change that would leave no owner.
	ErrLastOwner = shared.Conflict("organizations.last_owner", "an organization must keep at least one owner")
	// ErrAlreadyMember refuses inviting the address of a member, or
	// accepting an invitation to an organization one is a member of.
	ErrAlreadyMember = shared.Conflict("organizations.already_member", "the user is already a member of this organization")
	// ErrAlreadyInvited refuses a second pending invitation for one email.
	ErrAlreadyInvited = shared.Conflict("organizations.already_invited", "an invitation for this email is already pending")
	// ErrInvitationNotFound answers an unknown invitation, one addressed to
	// someone else, and a malformed id or token alike.
	ErrInvitationNotFound = shared.NotFound("organizations.invitation_not_found", "invitation not found")
	// ErrInvitationExpired refuses an invitation past its expiry.
	ErrInvitationExpired = shared.Conflict("organizations.invitation_expired", "this invitation has expired; ask for a new one")
	// ErrInvitationAccepted refuses an invitation used already.
	ErrInvitationAccepted = shared.Conflict("organizations.invitation_already_accepted", "this invitation has already been accepted")
	// ErrInvitationDeclined refuses an invitation the invitee declined.
	ErrInvitationDeclined = shared.Conflict("organizations.invitation_declined", "this invitation was declined")
	// ErrInvitationCancelled refuses an invitation an owner or admin cancelled.
	ErrInvitationCancelled = shared.Conflict("organizations.invitation_cancelled", "this invitation was cancelled")
	// ErrInviterNotAllowed refuses an invitation whose sender may no longer
	// grant its role (demoted, gone, or their account deleted).
	ErrInviterNotAllowed = shared.Conflict("organizations.invitation_inviter_not_allowed",
		"whoever sent this invitation may no longer grant its role; ask an owner or admin for a new one")
	// ErrSlugTaken is a slug another live organization uses (compared case-insensitively).
	ErrSlugTaken = shared.Conflict("organizations.slug_taken", "this slug is already taken")
	// ErrSoleOwner refuses deleting the account of the only owner of an
	// organization that has other members.
	ErrSoleOwner = shared.Conflict("organizations.sole_owner",
		"you are the only owner of an organization that has other members; hand over ownership or delete the organization first")
)

// CodeInvalid is the code of validation errors of this context.
const CodeInvalid = "organizations.invalid"
