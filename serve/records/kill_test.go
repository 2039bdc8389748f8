package records

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary a writer that the kill test SIGKILLs.
const childEnv = "RAMBOX_RECORDS_KILL_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(writeUntilKilled(path))
	}
	os.Exit(m.Run())
}

const killClients = 4

func clientMAC(i int) net.HardwareAddr { return net.HardwareAddr{0x52, 0x54, 0, 0, 0x10, byte(i)} }

// writeUntilKilled records events for killClients nodes at once, as DHCP
// bursts and fetches of booting clients would, and prints "client n"
// after each call has returned: that event is then committed.
func writeUntilKilled(path string) int {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for c := range killClients {
		wg.Go(func() {
			for n := 0; ; n++ {
				mac := clientMAC(c)
				var err error
				switch n % 3 {
				case 0:
					err = s.DHCP(mac, "", "OFFER", time.Now())
				case 1:
					err = s.File(mac, "", fmt.Sprintf("file-%d", n), time.Now())
				case 2:
					_, err = s.Report(report(mac.String(), digestA, time.Now()), fmt.Sprintf("client%d", c))
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %d\n", c, n)
				out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

// TestSurvivesKill9: a serve killed mid-stream loses nothing a call had
// returned for, and its store opens cleanly and passes bolt's check.
func TestSurvivesKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	returned := map[int]int{} // client -> calls returned
	lines := 0
	killAfter := 400
	for sc.Scan() {
		var c, n int
		if _, err := fmt.Sscanf(sc.Text(), "%d %d", &c, &n); err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		if n+1 > returned[c] {
			returned[c] = n + 1
		}
		if lines++; lines == killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", err)
	}
	t.Logf("child killed after %d returned calls (%d read in all)", killAfter, lines)

	s, err := Open(path)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		t.Fatalf("store after kill -9: %v", err)
	}
	for c := range killClients {
		h, err := s.History(clientMAC(c), 0)
		if err != nil {
			t.Fatal(err)
		}
		// Calls of one client run in order, so its first returned[c]
		// events are the ones it printed; one more may have committed
		// before the kill stopped the print.
		if len(h) < returned[c] || len(h) > returned[c]+1 {
			t.Errorf("client %d: %d events stored, %d calls returned before the kill", c, len(h), returned[c])
			continue
		}
		for n := range returned[c] {
			want := []string{KindDHCP, KindFile, KindReport}[n%3]
			if h[n].Kind != want || (want == KindFile && h[n].Detail != fmt.Sprintf("file-%d", n)) {
				t.Errorf("client %d event %d = %+v, want a %s event", c, n, h[n], want)
			}
		}
		if n, ok, err := s.Node(clientMAC(c)); err != nil || !ok || (returned[c] >= 3 && n.LastReport == nil) {
			t.Errorf("client %d node = %+v, %v, %v", c, n, ok, err)
		}
	}
	// The store stays usable.
	if err := s.DHCP(clientMAC(0), "", "DISCOVER", time.Now()); err != nil {
		t.Errorf("write after kill -9: %v", err)
	}
}
