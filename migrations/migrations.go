// Package migrations embeds the versioned SQL migrations, one directory per
// dialect (postgres/, sqlite/), applied by goose through adapters/pgstore.
//
// Every schema change is a new numbered file in both directories with an Up
// and a Down section; `authy migrate create NAME` writes the pair. A file
// that has been released is never edited. A data change SQL cannot express
// in both dialects is a numbered Go migration here instead (00010: the
// canonical form of stored emails), registered with goose by importing this
// package, as every user of FS does.
//
// baseline/sqlite.sql is generated from the SQLite migrations it lists: an
// empty embedded database is created from it in one step, then the later
// migrations apply (see adapters/pgstore/baseline.go). It is never edited
// by hand; a test in adapters/pgstore says when to write it again.
package migrations

import "embed"

// FS holds postgres/*.sql, sqlite/*.sql and baseline/sqlite.sql.
//
//go:embed postgres/*.sql sqlite/*.sql baseline/*.sql
var FS embed.FS
