// Package contact is the domain of the public contact form: an Enquiry that
// a visitor submits, and the Delivery of the notification mail that tells the
// team about it.
//
// It sits at the centre of the hexagon and imports only the standard library,
// google/uuid and domain/shared. It never reads the clock or generates ids:
// both come in as arguments, so every rule here is deterministic.
package contact
