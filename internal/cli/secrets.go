package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newSecretsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "secrets", Short: "Manage the key secrets are sealed with (instance admins)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rotate-key",
		Short: "Make a new secret key, reseal every secret with it, retire the old one",
		Long: `Secret env values, git tokens and SSH keys are sealed with AES-256-GCM under
the key in <data-dir>/secret.key (or RIVETR_SECRET_KEY). rotate-key writes a new
key into the file ahead of the old one, seals every secret again with it, and
then drops the old key. Interrupted, it leaves both keys in the file: run it
again. Keys from RIVETR_SECRET_KEY are rotated by putting the new key first
(RIVETR_SECRET_KEY=new,old) and restarting: the server reseals at start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			r, err := c.RotateSecretKey(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new secret key %s; %d secrets sealed again with it. Back up <data-dir>/secret.key: without it they cannot be opened.\n", r.Key, r.Resealed)
			return nil
		},
	})
	return cmd
}
