package tftproot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrLocked is returned when a root's lock could not be had in time.
var ErrLocked = errors.New("locked by another install, rollback or server")

// DefaultLockWait is how long Install and Rollback wait for the lock.
const DefaultLockWait = time.Minute

// Lock takes root's exclusive lock, flock(2) on root/.lock (root is
// created if need be), waiting until ctx is done. Everything that changes
// a root holds it: Install, Rollback, and a server reconciling the root.
// flock belongs to the open file, so the lock excludes other goroutines
// of this process as well as other processes, and a killed holder's lock
// is released by the kernel. unlock releases it.
func Lock(ctx context.Context, root string) (unlock func(), err error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	p := filepath.Join(root, LockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// Polling (not a blocking flock) so that ctx can end the wait.
	for delay := time.Millisecond; ; delay = min(2*delay, 20*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("flock %s: %w", p, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("TFTP root %s: %w (%w)", root, ErrLocked, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// lockFor is Lock with a timeout.
func lockFor(root string, wait time.Duration) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return Lock(ctx, root)
}
