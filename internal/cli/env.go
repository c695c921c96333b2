package cli

import (
	"fmt"
	"strings"

	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newEnvCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "env", Short: "Set, unset and list an app's environment variables"}
	var secret bool
	set := &cobra.Command{
		Use:   "set NAME KEY=VALUE...",
		Short: "Set env vars (applied from the next deployment); --secret hides values from every listing",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			var vars []service.EnvInput
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("%q: want KEY=VALUE", kv)
				}
				vars = append(vars, service.EnvInput{Key: k, Value: v, Secret: secret})
			}
			if _, err := c.SetEnv(cmd.Context(), args[0], vars); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "set %s on %s; they apply from the next deployment (rivetr deploy %s)\n", humanize.Count(len(vars), "variable"), args[0], args[0])
			return nil
		},
	}
	set.Flags().BoolVar(&secret, "secret", false, "the values are secret: never shown again")
	unset := &cobra.Command{
		Use:   "unset NAME KEY...",
		Short: "Remove env vars",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.UnsetEnv(cmd.Context(), args[0], args[1:]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s from %s\n", strings.Join(args[1:], ", "), args[0])
			return nil
		},
	}
	list := &cobra.Command{
		Use:   "list NAME",
		Short: "List env vars (secret values masked)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vars, err := c.ListEnv(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if vars == nil {
					vars = []service.EnvView{}
				}
				return printJSON(out, vars)
			}
			for _, v := range vars {
				val := v.Value
				if v.Secret {
					val = "******** (secret)"
				}
				fmt.Fprintf(out, "%s=%s\n", v.Key, val)
			}
			return nil
		},
	}
	cmd.AddCommand(set, unset, list)
	return cmd
}
