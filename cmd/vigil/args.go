package main

import (
	"flag"
	"fmt"
	"strings"
)

// parseArgs parses a command's flags, then refuses what the flag package lets through: stray
// positional arguments beyond the positional ones the command takes, and required flags left
// empty (each named with its usage). Unknown flags are refused by fs.Parse itself.
func parseArgs(fs *flag.FlagSet, args []string, positional int, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > positional {
		return fmt.Errorf("%s: unexpected argument %q (flags go before arguments; see %s --help)",
			fs.Name(), fs.Arg(positional), "vigil "+fs.Name())
	}
	var missing []string
	for _, name := range required {
		if f := fs.Lookup(name); f != nil && f.Value.String() == "" {
			missing = append(missing, fmt.Sprintf("--%s (%s)", name, f.Usage))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s", fs.Name(), strings.Join(missing, ", "))
	}
	return nil
}

// isHelp reports whether a command-line word asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}
