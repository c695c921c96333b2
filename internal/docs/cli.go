package docs

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// CLIReference is the markdown reference of every command under root:
// usage, description and flags, in the order of the tree.
func CLIReference(root *cobra.Command) string {
	machineDefaults(root)
	var b strings.Builder
	b.WriteString("# CLI reference\n\n")
	b.WriteString("Generated from the command tree by `make docs`; `rivetr help COMMAND` prints the same.\n\n")
	var walk func(c *cobra.Command, depth int)
	walk = func(c *cobra.Command, depth int) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", min(depth+2, 4)), c.CommandPath())
		if c.Short != "" {
			b.WriteString(c.Short + "\n\n")
		}
		if c.Runnable() {
			fmt.Fprintf(&b, "```\n%s\n```\n\n", c.UseLine())
		}
		if c.Long != "" {
			b.WriteString(c.Long + "\n\n")
		}
		if c.Example != "" {
			fmt.Fprintf(&b, "Examples:\n\n```\n%s\n```\n\n", c.Example)
		}
		if f := c.LocalFlags().FlagUsages(); f != "" {
			fmt.Fprintf(&b, "Flags:\n\n```\n%s```\n\n", f)
		}
		if depth == 0 {
			if f := c.PersistentFlags().FlagUsages(); f != "" {
				fmt.Fprintf(&b, "Global flags (every command):\n\n```\n%s```\n\n", f)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

// machineDefaults replaces flag defaults that come from the machine the
// docs are made on (its host name, the working and home directories), so
// the reference is the same wherever it is generated.
func machineDefaults(root *cobra.Command) {
	var subst [][2]string
	if h, err := os.Hostname(); err == nil && h != "" {
		subst = append(subst, [2]string{h, "<hostname>"})
	}
	if d, err := os.Getwd(); err == nil && d != "/" {
		subst = append(subst, [2]string{d, "<cwd>"})
	}
	if d, err := os.UserHomeDir(); err == nil && d != "/" {
		subst = append(subst, [2]string{d, "~"})
	}
	fix := func(f *pflag.Flag) {
		for _, s := range subst {
			if f.DefValue == s[0] {
				f.DefValue = s[1]
			} else if strings.HasPrefix(f.DefValue, s[0]+"/") {
				f.DefValue = s[1] + f.DefValue[len(s[0]):]
			}
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(fix)
		c.PersistentFlags().VisitAll(fix)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
