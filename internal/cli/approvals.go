package cli

import (
	"fmt"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/spf13/cobra"
)

func newDecisionCmd(g *globals, approve bool) *cobra.Command {
	var comment string
	use, short := "approve ID", "Approve a deployment waiting for approval"
	if !approve {
		use, short = "reject ID", "Reject a deployment waiting for approval (it ends rejected; nothing is built)"
	}
	cmd := &cobra.Command{
		Use:   use + " [--comment TEXT]",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			decide := c.Approve
			if !approve {
				decide = c.Reject
			}
			v, err := decide(cmd.Context(), args[0], comment)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			switch v.Gate.Status {
			case "approved":
				fmt.Fprintf(cmd.OutOrStdout(), "approved (%d of %d); deployment %s of %s goes ahead\n", len(v.Gate.Approvals), v.Gate.Needed, v.Deployment.ID, v.Deployment.AppName)
			case release.StatusRejected:
				fmt.Fprintf(cmd.OutOrStdout(), "rejected; deployment %s of %s will not run\n", v.Deployment.ID, v.Deployment.AppName)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "approved (%d of %d); deployment %s still waits for %d more\n", len(v.Gate.Approvals), v.Gate.Needed, v.Deployment.ID, v.Gate.Needed-len(v.Gate.Approvals))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why (kept in the deployment's log and the audit log)")
	return cmd
}
