package main

import (
	"context"
	"fmt"

	"rambox/sources"
)

func runFetch(args []string) error {
	fs := newFlagSet("fetch", "--pin FILE [--file PATH | --offline]")
	pinFile := fs.String("pin", "rootfs/busybox/sources.json", "source pin `file` (name, sha256, urls)")
	local := fs.String("file", "", "take the archive from this local `path` instead of its URLs (still checked against the pin)")
	offline := fs.Bool("offline", false, "only check that the cache holds the pinned bytes; download nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pin, err := sources.LoadPin(*pinFile)
	if err != nil {
		return err
	}
	cache := sources.DefaultCache()
	var path string
	switch {
	case *offline:
		path, err = cache.Verified(pin)
	case *local != "":
		path, err = cache.Import(pin, *local)
	default:
		path, err = cache.Download(context.Background(), pin, sources.NewClient(sources.DefaultTimeouts), nil)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s sha256:%s %s\n", pin.Name, pin.SHA256, path)
	return nil
}
