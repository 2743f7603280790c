// Package sessions is the sessions context's domain: the Session aggregate
// with its sliding window (an idle limit moved by activity, an absolute limit
// fixed at creation), its end states (revoked, expired) and the events it
// records.
//
// It sits at the centre of the hexagon and imports only the standard
// library, google/uuid and domain/shared. It never reads the clock nor
// creates ids or tokens: time, ids and the token's hash come in as
// arguments.
package sessions
