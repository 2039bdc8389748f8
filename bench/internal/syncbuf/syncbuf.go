// Package syncbuf is a strings.Builder that a child process's output and
// the bench reading it may use at once.
package syncbuf

import (
	"strings"
	"sync"
)

// Buffer collects writes from several goroutines.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
