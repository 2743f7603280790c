package bootstrap

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
)

// errChainBroken makes `authy audit verify` exit non-zero.
var errChainBroken = errors.New("the audit chain is broken")

func auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify the audit log's hash chain or export records for a SIEM",
	}
	var batch int
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the audit hash chain and report the first broken link",
		Long: "Reads every sealed audit record in sequence order, in batches (constant memory),\n" +
			"recomputes each record's SHA-256 and checks it links to its predecessor, that no\n" +
			"record lies beyond the chain head and that the head matches the last record. Prints\n" +
			"the head (sequence and hash, worth keeping outside the database) or the first broken\n" +
			"link, and exits 1 when broken. Records not sealed yet (written, awaiting the sealer\n" +
			"that `serve` runs) are counted and reported with the oldest one's time.",
		Args: cobra.NoArgs,
		RunE: withAuditAdmin(func(ctx context.Context, cmd *cobra.Command, admin *auditapp.Admin) error {
			rep, err := admin.Verify(ctx, batch)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if rep.Break != nil {
				fmt.Fprintf(out, "BROKEN after %d intact record(s): ", rep.Checked)
				switch {
				case rep.Break.Sequence == 0:
					fmt.Fprintf(out, "records outside the chain")
				case rep.Break.ID != uuid.Nil:
					fmt.Fprintf(out, "sequence %d (id %s)", rep.Break.Sequence, rep.Break.ID)
				default:
					fmt.Fprintf(out, "sequence %d", rep.Break.Sequence)
				}
				fmt.Fprintf(out, ": %s\n", rep.Break.Problem)
				printUnsealed(out, rep, time.Now())
				if rep.Break.Sequence == 0 {
					return fmt.Errorf("%w: records outside the chain", errChainBroken)
				}
				return fmt.Errorf("%w at sequence %d", errChainBroken, rep.Break.Sequence)
			}
			fmt.Fprintf(out, "OK: %d record(s) verified; head sequence %d hash %s\n", rep.Checked, rep.HeadSequence, rep.HeadHash)
			printUnsealed(out, rep, time.Now())
			return nil
		}),
	}
	verify.Flags().IntVar(&batch, "batch", 1000, "records read per query")

	seal := &cobra.Command{
		Use:   "seal",
		Short: "Place every committed audit record not sealed yet in the hash chain",
		Long: "Seals what awaits the sealer (`serve` runs one on every instance and seals within\n" +
			"about a second; this is for a database no server runs on, such as before\n" +
			"`authy migrate down`). It waits for no other sealer: when one is sealing, it says so.",
		Args: cobra.NoArgs,
		RunE: withDatabase(func(ctx context.Context, cmd *cobra.Command, db *pgstore.DB) error {
			sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: auditpg.New(db)})
			if err != nil {
				return err
			}
			n, err := sealer.SealPending(ctx)
			switch {
			case errors.Is(err, audit.ErrSealerBusy):
				fmt.Fprintf(cmd.OutOrStdout(), "sealed %d record(s); another sealer is sealing the rest\n", n)
				return nil
			case err != nil:
				return err
			}
			head, err := auditpg.New(db).Head(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sealed %d record(s); head sequence %d hash %s\n", n, head.Sequence(), head.Hash())
			return nil
		}),
	}

	var (
		org, from, to, action, outPath string
		exportBatch                    int
	)
	export := &cobra.Command{
		Use:   "export",
		Short: "Write audit records as NDJSON (one JSON object per line), oldest first",
		Long: "Streams the matching records in batches to stdout, or to --out FILE (created\n" +
			"with mode 0600), one JSON object per line, oldest first, with each record's\n" +
			"prev_hash and hash so a SIEM can check the chain. --from is inclusive, --to\n" +
			"exclusive (RFC 3339). Without --org every record is exported.",
		Args: cobra.NoArgs,
		RunE: withAuditAdmin(func(ctx context.Context, cmd *cobra.Command, admin *auditapp.Admin) (err error) {
			var w io.Writer = cmd.OutOrStdout()
			if outPath != "" {
				f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return fmt.Errorf("open %s: %w", outPath, err)
				}
				defer func() {
					if cerr := f.Close(); cerr != nil && err == nil {
						err = cerr
					}
				}()
				w = f
			}
			bw := bufio.NewWriterSize(w, 64<<10)
			enc := json.NewEncoder(bw)
			enc.SetEscapeHTML(false)
			n, err := admin.Export(ctx, auditport.ExportRequest{
				Organization: org, Action: action, From: from, To: to, BatchSize: exportBatch,
			}, func(v auditport.RecordView) error { return enc.Encode(toExported(v)) })
			if err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d record(s)\n", n)
			return nil
		}),
	}
	export.Flags().StringVar(&org, "org", "", "only this organization's records (its id)")
	export.Flags().StringVar(&from, "from", "", "only records at or after this RFC 3339 time")
	export.Flags().StringVar(&to, "to", "", "only records before this RFC 3339 time")
	export.Flags().StringVar(&action, "action", "", "an exact action, or a prefix ending in . or .* (auth.*)")
	export.Flags().StringVar(&outPath, "out", "", "write to this file instead of stdout")
	export.Flags().IntVar(&exportBatch, "batch", 1000, "records read per query")
	cmd.AddCommand(verify, seal, export)
	return cmd
}

// printUnsealed reports the records awaiting the sealer. An oldest one of
// more than a minute means no sealer runs, or it fails (see the server's
// log): the chain does not cover those records yet.
func printUnsealed(out io.Writer, rep auditport.VerifyReport, now time.Time) {
	if rep.Unsealed == 0 {
		return
	}
	age := now.Sub(rep.OldestUnsealed).Round(time.Millisecond)
	fmt.Fprintf(out, "UNSEALED: %d record(s) not in the chain yet; the oldest occurred at %s (%s ago)\n",
		rep.Unsealed, rep.OldestUnsealed.UTC().Format(time.RFC3339Nano), age)
	if age > time.Minute {
		fmt.Fprintln(out, "  no sealer has sealed them for over a minute: is `authy serve` running (or run `authy audit seal`)?")
	}
}

func withAuditAdmin(fn func(ctx context.Context, cmd *cobra.Command, admin *auditapp.Admin) error) func(*cobra.Command, []string) error {
	return withDatabase(func(ctx context.Context, cmd *cobra.Command, db *pgstore.DB) error {
		return fn(ctx, cmd, auditapp.NewAdmin(auditpg.New(db)))
	})
}

// exportedRecord is one NDJSON line of `authy audit export`. Absent values
// are null; the field names match the read API, plus the chain links. A
// record not sealed yet has a null sequence and null links: export again
// later for its place in the chain.
type exportedRecord struct {
	ID             string          `json:"id"`
	Sequence       *int64          `json:"sequence"`
	OccurredAt     time.Time       `json:"occurred_at"`
	ActorType      string          `json:"actor_type"`
	ActorID        *string         `json:"actor_id"`
	Action         string          `json:"action"`
	TargetType     *string         `json:"target_type"`
	TargetID       *string         `json:"target_id"`
	OrganizationID *string         `json:"organization_id"`
	IP             *string         `json:"ip"`
	UserAgent      *string         `json:"user_agent"`
	RequestID      *string         `json:"request_id"`
	CorrelationID  *string         `json:"correlation_id"`
	Details        json.RawMessage `json:"details"`
	PrevHash       *string         `json:"prev_hash"`
	Hash           *string         `json:"hash"`
}

func toExported(v auditport.RecordView) exportedRecord {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	details := json.RawMessage(v.Details)
	if !json.Valid(details) {
		details = json.RawMessage("{}")
	}
	var seq *int64
	if v.Sequence != 0 {
		seq = &v.Sequence
	}
	return exportedRecord{
		ID: v.ID.String(), Sequence: seq, OccurredAt: v.OccurredAt.UTC(),
		ActorType: v.ActorType, ActorID: opt(v.ActorID), Action: v.Action,
		TargetType: opt(v.TargetType), TargetID: opt(v.TargetID), OrganizationID: opt(v.OrganizationID),
		IP: opt(v.ClientIP), UserAgent: opt(v.UserAgent), RequestID: opt(v.RequestID), CorrelationID: opt(v.CorrelationID),
		Details: details, PrevHash: opt(v.PrevHash), Hash: opt(v.Hash),
	}
}
