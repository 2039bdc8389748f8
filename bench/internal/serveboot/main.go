// Command serveboot times PXE boots from `rambox serve` alone in a network
// namespace (servelab): one SeaBIOS + iPXE ROM node booting
// through the HTTP script (boot: ipxe) and one booting pxelinux over TFTP
// (boot: pxelinux), RUNS times each, interleaved. It prints one line per
// boot, "WAY RUN init SECONDS selftest-end SECONDS", for bench/serve-boot.sh
// to record. With -ways uki, the ways are servelab.UKIWays instead (OVMF's
// PXE loading the UKI, Secure Boot on and off; bench/uki-boot.sh).
//
//	serveboot -rambox BIN -key PUB -bundle-file FILE -runs N [-ways serve|uki|arm64]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"rambox/bench/internal/servelab"
	"rambox/boot"
)

// labNet is the lab's subnet, 10.44.0.0/24.
const labNet = 44

// waySets are the boots -ways names.
var waySets = map[string][]servelab.Way{"serve": servelab.Ways(labNet), "uki": servelab.UKIWays(labNet), "arm64": servelab.Arm64Ways(labNet)}

func main() {
	bin := flag.String("rambox", "", "the rambox `binary`")
	key := flag.String("key", "", "the public `key` the bundle is signed with")
	bundleFile := flag.String("bundle-file", "", "`file` holding the pinned ref to serve")
	runs := flag.Int("runs", 3, "boots of each way")
	set := flag.String("ways", "serve", "the boots measured: serve (HTTP script, pxelinux over TFTP), uki (OVMF PXE loading the UKI, Secure Boot on and off) or arm64 (AAVMF PXE, GRUB, an arm64 bundle)")
	flag.Parse()
	ways, ok := waySets[*set]
	if !ok {
		fmt.Fprintf(os.Stderr, "serveboot: -ways %q is not serve, uki or arm64\n", *set)
		os.Exit(2)
	}
	if err := run(*bin, *key, *bundleFile, *runs, ways); err != nil {
		fmt.Fprintf(os.Stderr, "serveboot: %v\n", err)
		os.Exit(1)
	}
}

func run(bin, key, bundleFile string, runs int, ways []servelab.Way) error {
	lab, err := servelab.Start(bin, key, bundleFile, labNet, ways, "")
	if err != nil {
		return err
	}
	defer lab.Close()
	for i := 1; i <= runs; i++ {
		for _, w := range ways {
			res, err := lab.Boot(w)
			if err != nil {
				return fmt.Errorf("run %d: %w", i, err)
			}
			at := map[string]time.Duration{}
			for _, m := range res.Marks {
				at[m.Name] = m.At
			}
			initAt, ok1 := at["init"]
			endAt, ok2 := at["selftest-end"]
			if !ok1 || !ok2 {
				return fmt.Errorf("boot %s (run %d): marks %s lack init or selftest-end", w.Name, i, boot.FormatMarks(res.Marks))
			}
			fmt.Printf("%s %d init %.3f selftest-end %.3f\n", w.Name, i, initAt.Seconds(), endAt.Seconds())
			// Every mark, for reading where the time goes.
			fmt.Fprintf(os.Stderr, "serveboot: %s run %d: %s\n", w.Name, i, boot.FormatMarks(res.Marks))
		}
	}
	return nil
}
