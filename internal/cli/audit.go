package cli

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newAuditCmd(g *globals) *cobra.Command {
	var q service.AuditQuery
	cmd := &cobra.Command{
		Use:   "audit [--team T] [--actor EMAIL] [--action A] [--target X] [--limit N] [--before ID]",
		Short: "Read the audit log: who did what, where, when (newest first)",
		Long: `Read the audit log, newest first. Instance admins read all of it; team owners
and admins read their teams' entries. --action takes an exact action
(deploy, app.update, member.put, ...) or a prefix ending in "." (app.).
Pages: pass the printed "older entries" ID as --before.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if q.Team == "" {
				q.Team = g.teamName()
			}
			page, err := c.Audit(cmd.Context(), q)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, page.Entries)
			}
			tw := table(out)
			fmt.Fprintln(tw, "ID\tTIME\tACTOR\tTEAM\tACTION\tTARGET\tCHANGE\tFROM")
			for _, e := range page.Entries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"),
					e.Actor, cmp.Or(e.Team, "-"), e.Action, cmp.Or(e.Target, "-"), change(e.Before, e.After), cmp.Or(e.SourceIP, "-"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if page.Next > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "older entries: --before %d\n", page.Next)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Actor, "actor", "", "only this actor's entries (an email, or \"admin token\")")
	f.StringVar(&q.Action, "action", "", "only this action, or actions with this prefix (\"app.\")")
	f.StringVar(&q.Target, "target", "", "only entries about this app, deployment or user")
	f.IntVar(&q.Limit, "limit", 50, "entries per page (at most 500)")
	f.Uint64Var(&q.Before, "before", 0, "only entries older than this ID (paging)")
	return cmd
}

// change renders an entry's before and after compactly: key=old→new.
func change(before, after map[string]any) string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		b, hadB := before[k]
		a, hadA := after[k]
		switch {
		case hadB && hadA:
			parts = append(parts, fmt.Sprintf("%s=%v→%v", k, b, a))
		case hadA:
			parts = append(parts, fmt.Sprintf("%s=%v", k, a))
		default:
			parts = append(parts, fmt.Sprintf("-%s", k))
		}
	}
	s := strings.Join(parts, " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return cmp.Or(s, "-")
}
