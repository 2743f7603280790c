package shared

// Delivery is how a sign-in completed at another identity provider (a
// social provider, an organization's connection) reaches the client: the
// session cookie on Authy's own origin, or a one-time login code at a
// registered return target on another origin (a single-page app). Both
// contexts that sign people in that way start flows with one.
type Delivery struct{ value string }

// The deliveries.
var (
	DeliverCookie = Delivery{"cookie"}
	DeliverCode   = Delivery{"code"}
)

// ParseDelivery reads a stored delivery.
func ParseDelivery(s string) (Delivery, error) {
	switch s {
	case DeliverCookie.value:
		return DeliverCookie, nil
	case DeliverCode.value:
		return DeliverCode, nil
	}
	return Delivery{}, Invalid("shared.invalid_delivery", "unknown delivery", nil)
}

// String returns the delivery's name.
func (d Delivery) String() string { return d.value }

// IsZero reports the zero value.
func (d Delivery) IsZero() bool { return d.value == "" }
