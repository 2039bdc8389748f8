package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"

	"rambox/serve/status"
)

func runStatus(args []string) error {
	fs := newFlagSet("status", "--server URL [--json]")
	server := fs.String("server", "", "base `URL` of rambox serve's status server, e.g. http://10.0.0.1:8080")
	asJSON := fs.Bool("json", false, "print the snapshot as JSON instead of tables")
	timeout := fs.Duration("timeout", status.FetchTimeout, "give up on the server after this `duration`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *server == "" {
		fs.Usage()
		return errUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	s, err := status.Fetch(ctx, *server, &http.Client{Timeout: *timeout})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	return status.WriteTable(os.Stdout, s)
}
