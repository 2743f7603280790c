// Package migrations embeds the versioned SQL migrations, one directory per
// dialect (postgres/, sqlite/), applied by goose through adapters/pgstore.
//
// Every schema change is a new numbered file in both directories with an Up
// and a Down section; `authy migrate create NAME` writes the pair. A file
// that has been released is never edited. A data change SQL cannot express
// in both dialects is a numbered Go migration here instead (00010: the
// canonical form of stored emails), registered with goose by importing this
// package, as every user of FS does.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
