// Command serveboot times PXE boots from `rambox serve` alone in a network
// namespace, as e2e/serve_test.go runs it (a compact copy of its lab: the
// test's helpers hang off *testing.T): one SeaBIOS + iPXE ROM node booting
// through the HTTP script (boot: ipxe) and one booting pxelinux over TFTP
// (boot: pxelinux), RUNS times each, interleaved. It prints one line per
// boot, "WAY RUN init SECONDS selftest-end SECONDS", for bench/serve-boot.sh
// to record.
//
//	serveboot -rambox BIN -key PUB -bundle-file FILE -runs N
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"rambox/bench/internal/syncbuf"
	"rambox/boot"
)

// The lab's addresses: the namespace's bridge carries server.
const server = "10.44.0.1"

// ways are the boots measured, by the node's boot: field.
var ways = []struct{ name, mac, boot string }{
	{"http", "52:54:00:44:00:12", "ipxe"},
	{"tftp", "52:54:00:44:00:11", "pxelinux"},
}

func main() {
	bin := flag.String("rambox", "", "the rambox `binary`")
	key := flag.String("key", "", "the public `key` the bundle is signed with")
	bundleFile := flag.String("bundle-file", "", "`file` holding the pinned ref to serve")
	runs := flag.Int("runs", 3, "boots of each way")
	flag.Parse()
	if err := run(*bin, *key, *bundleFile, *runs); err != nil {
		fmt.Fprintf(os.Stderr, "serveboot: %v\n", err)
		os.Exit(1)
	}
}

func run(bin, key, bundleFile string, runs int) error {
	dir, err := os.MkdirTemp("", "serveboot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	inv := "server:\n  ip: " + server + "\n  subnet: 10.44.0.0\n  netmask: 255.255.255.0\nnodes:\n"
	for i, w := range ways {
		inv += fmt.Sprintf("  - name: n%d\n    mac: %s\n    ip: 10.44.0.%d\n    hostname: n%d.lab\n    boot: %s\n    cmdline: rambox.selftest\n", i, w.mac, 11+i, i, w.boot)
	}
	inventory := filepath.Join(dir, "nodes.yaml")
	if err := os.WriteFile(inventory, []byte(inv), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	ns, err := boot.NewNetns(ctx, boot.NetnsOptions{Server: netip.MustParsePrefix(server + "/24"), Progress: io.Discard})
	if err != nil {
		return err
	}
	defer ns.Close()
	argv := ns.Command(bin, "serve", "--bundle-file", bundleFile, "--key", key, "--inventory", inventory,
		"--state", filepath.Join(dir, "state"), "--interface", ns.Bridge(), "--dhcp", "full",
		"--http", server+":80", "--tftp", server+":69")
	log := &syncbuf.Buffer{}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(log.String(), "msg=serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("serve did not log msg=serving within 60s:\n%s", log)
		}
	}
	for i := 1; i <= runs; i++ {
		for _, w := range ways {
			res, err := boot.Run(ctx, boot.Options{Netns: ns, Firmware: boot.FirmwareSeaBIOS, NICROM: boot.NICROMiPXE, MAC: w.mac,
				Timeout: 180 * time.Second, Progress: io.Discard})
			if err != nil {
				return fmt.Errorf("boot %s (run %d): %w\nserve's log:\n%s", w.name, i, err, log)
			}
			at := map[string]time.Duration{}
			for _, m := range res.Marks {
				at[m.Name] = m.At
			}
			initAt, ok1 := at["init"]
			endAt, ok2 := at["selftest-end"]
			if !ok1 || !ok2 {
				return fmt.Errorf("boot %s (run %d): marks %s lack init or selftest-end", w.name, i, boot.FormatMarks(res.Marks))
			}
			fmt.Printf("%s %d init %.3f selftest-end %.3f\n", w.name, i, initAt.Seconds(), endAt.Seconds())
			// Every mark, for reading where the time goes.
			fmt.Fprintf(os.Stderr, "serveboot: %s run %d: %s\n", w.name, i, boot.FormatMarks(res.Marks))
		}
	}
	return nil
}
