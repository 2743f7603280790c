// Package sessionsmem implements sessionsport's Cache in process: the
// session cache of the embedded default (a single instance, so an
// in-process cache is as consistent as the database behind it). Sessions
// themselves live in the database (sessionspg) on every backend.
//
// It imports ports, the sessions domain and the standard library only.
package sessionsmem
