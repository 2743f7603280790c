// Package sessionsporttest holds the executable contracts of sessionsport's
// outbound ports (Store with its UnitOfWork, and Cache). Every adapter's
// tests call these suites — the in-process ones in unit tests, SQLite,
// PostgreSQL and Redis in the integration run — so all backends are held to
// the same behaviour.
package sessionsporttest
