// Package sessionsmem implements sessionsport's outbound ports in process:
// Cache is the session cache of the embedded default (a single instance, so
// an in-process cache is as consistent as the database behind it); Store
// and its UnitOfWork back fast application tests and the contract suite.
//
// It imports ports, the sessions domain and the standard library only.
package sessionsmem
