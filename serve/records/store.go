// Package records keeps what serve saw of each node: its last DHCP
// exchange, the last file it fetched, the digest it was given, its last
// boot report, and a history of those events. The store is a bbolt file:
// every call commits (and bbolt fsyncs the commit) before it returns, so
// whatever a call recorded survives a restart and a kill -9.
package records

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Node is what the store knows of one client.
type Node struct {
	MAC  string
	Name string // the inventory's name; "" for a client it does not list

	Given string // the digest serve last gave it (in a config or script it fetched)

	LastDHCP     time.Time
	LastDHCPType string // DISCOVER, OFFER, REQUEST, ACK, ...
	LastOffer    time.Time

	// BootStart is the first offer of the boot under way: the first
	// OFFER after the last report, or after BootStart grew older than
	// MaxBootTime (a boot that never reported).
	BootStart time.Time

	LastFile   string
	LastFileAt time.Time

	LastReport *Report
	// Flag says what is wrong with the last report, e.g. "reported
	// sha256:B, was given sha256:A"; "" when nothing is.
	Flag string
	// BootTime is BootStart -> LastReport.Received for the boot that
	// report ended; 0 if serve saw no offer for it.
	BootTime time.Duration
}

// Event is one line of a node's history.
type Event struct {
	Seq    uint64 // store-wide, increasing
	At     time.Time
	MAC    string
	Kind   string // one of the Kind constants
	Detail string // DHCP message type, file path, digest, or "digest result [flag]"
}

// Event kinds.
const (
	KindDHCP   = "dhcp"
	KindFile   = "file"
	KindGiven  = "given"
	KindReport = "report"
)

// MaxBootTime bounds a boot: an offer later than this after BootStart
// starts a new boot even though no report ended the old one.
const MaxBootTime = 10 * time.Minute

// LockTimeout is how long Open waits for another process's lock on the file.
const LockTimeout = 2 * time.Second

// BatchDelay is how long a write waits for others to share its commit.
const BatchDelay = 2 * time.Millisecond

// ErrLocked is wrapped by Open when another process holds the store.
var ErrLocked = errors.New("record store is locked by another process (another serve?)")

var (
	bucketNodes  = []byte("nodes")  // MAC -> JSON Node
	bucketEvents = []byte("events") // seq (8 bytes, big endian) -> JSON Event
	bucketByMAC  = []byte("by-mac") // MAC + seq -> nothing: the history index
	bucketMeta   = []byte("meta")
	keySchema    = []byte("schema")
	schema       = []byte("1")
)

// Store is the open record file. Its methods are safe for concurrent use;
// concurrent writers share commits (bolt's Batch), so a burst of DHCP
// packets costs a few fsyncs, not one each.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("record store %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("record store %s: %w", path, err)
	}
	// bolt's default 10 ms would add 10 ms to every lone call; callers
	// arriving within 2 ms still share a commit.
	db.MaxBatchDelay = BatchDelay
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketNodes, bucketEvents, bucketByMAC, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keySchema); {
		case v == nil:
			return meta.Put(keySchema, schema)
		case string(v) != string(schema):
			return fmt.Errorf("schema %q, this serve reads %q", v, schema)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("record store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("record store %s: %w", s.path, err)
	}
	return nil
}

// Check walks the whole file and reports any inconsistency bolt finds.
func (s *Store) Check() error {
	var errs []error
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	if err = errors.Join(append(errs, err)...); err != nil {
		return fmt.Errorf("record store %s: %w", s.path, err)
	}
	return nil
}

// DHCP records a DHCP message exchanged with mac: msgType is the message
// type's name (dhcpv4.MessageType.String(): DISCOVER, OFFER, ...).
func (s *Store) DHCP(mac net.HardwareAddr, name, msgType string, at time.Time) error {
	return s.update(mac, name, at, KindDHCP, msgType, func(n *Node) {
		n.LastDHCP, n.LastDHCPType = at, msgType
		if strings.EqualFold(msgType, "OFFER") {
			n.LastOffer = at
			reported := n.LastReport != nil && !n.LastReport.Received.Before(n.BootStart)
			if n.BootStart.IsZero() || reported || at.Sub(n.BootStart) > MaxBootTime {
				n.BootStart = at
			}
		}
	})
}

// File records that mac fetched path (over TFTP or HTTP).
func (s *Store) File(mac net.HardwareAddr, name, path string, at time.Time) error {
	return s.update(mac, name, at, KindFile, path, func(n *Node) {
		n.LastFile, n.LastFileAt = path, at
	})
}

// Given records that serve gave mac the bundle digest (in a boot config
// or script it fetched): the digest its report must name.
func (s *Store) Given(mac net.HardwareAddr, name, digest string, at time.Time) error {
	return s.update(mac, name, at, KindGiven, digest, func(n *Node) {
		n.Given = digest
	})
}

// Report records a parsed report and returns the node as it now stands.
// A report for a digest serve did not give the node is kept and flagged.
func (s *Store) Report(r Report, name string) (Node, error) {
	mac, err := net.ParseMAC(r.MAC)
	if err != nil {
		return Node{}, fmt.Errorf("%w: field %s: %q: %w", ErrBadReport, FieldMAC, r.MAC, err)
	}
	var out Node
	err = s.update(mac, name, r.Received, KindReport, "", func(n *Node) {
		rc := r
		n.LastReport = &rc
		n.Flag = flag(n.Given, r.Digest)
		n.BootTime = 0
		if !n.BootStart.IsZero() && r.Received.After(n.BootStart) {
			n.BootTime = r.Received.Sub(n.BootStart)
		}
		out = *n
	})
	return out, err
}

// flag says why a reported digest is not the one given, or "".
func flag(given, reported string) string {
	switch {
	case given == "":
		return fmt.Sprintf("reported %s, was given none", reported)
	case given != reported:
		return fmt.Sprintf("reported %s, was given %s", reported, given)
	}
	return ""
}

// reportDetail is a report event's Detail.
func reportDetail(n *Node) string {
	d := n.LastReport.Digest + " " + n.LastReport.Result
	if n.Flag != "" {
		d += " (" + n.Flag + ")"
	}
	return d
}

// update changes mac's node with change and appends one event, in one
// commit shared with concurrent callers. Batch may run the function twice
// (when a shared commit fails it retries each alone): it only touches the
// transaction and what change captures.
func (s *Store) update(mac net.HardwareAddr, name string, at time.Time, kind, detail string, change func(*Node)) error {
	if len(mac) == 0 {
		return fmt.Errorf("record %s event: no MAC address", kind)
	}
	key := mac.String()
	err := s.db.Batch(func(tx *bolt.Tx) error {
		nodes := tx.Bucket(bucketNodes)
		n := Node{MAC: key}
		if v := nodes.Get([]byte(key)); v != nil {
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("node %s: %w", key, err)
			}
		}
		if name != "" {
			n.Name = name
		}
		change(&n)
		v, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if err := nodes.Put([]byte(key), v); err != nil {
			return err
		}
		if kind == KindReport {
			detail = reportDetail(&n)
		}
		events := tx.Bucket(bucketEvents)
		seq, err := events.NextSequence()
		if err != nil {
			return err
		}
		e, err := json.Marshal(Event{Seq: seq, At: at, MAC: key, Kind: kind, Detail: detail})
		if err != nil {
			return err
		}
		if err := events.Put(seqKey(seq), e); err != nil {
			return err
		}
		return tx.Bucket(bucketByMAC).Put(append([]byte(key), seqKey(seq)...), nil)
	})
	if err != nil {
		return fmt.Errorf("record store %s: %s event for %s: %w", s.path, kind, key, err)
	}
	return nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// Nodes returns every node, sorted by name then MAC.
func (s *Store) Nodes() ([]Node, error) {
	var out []Node
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNodes).ForEach(func(k, v []byte) error {
			var n Node
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("node %s: %w", k, err)
			}
			out = append(out, n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("record store %s: %w", s.path, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].MAC < out[j].MAC
	})
	return out, nil
}

// Node returns one node; false if the store never saw it.
func (s *Store) Node(mac net.HardwareAddr) (Node, bool, error) {
	var (
		n     Node
		found bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNodes).Get([]byte(mac.String()))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &n)
	})
	if err != nil {
		return Node{}, false, fmt.Errorf("record store %s: node %s: %w", s.path, mac, err)
	}
	return n, found, nil
}

// History returns the last limit events of mac (every node's when mac
// is nil; all of them when limit <= 0), oldest first.
func (s *Store) History(mac net.HardwareAddr, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		events := tx.Bucket(bucketEvents)
		add := func(seq []byte) error {
			var e Event
			v := events.Get(seq)
			if v == nil {
				return fmt.Errorf("event %d is indexed but absent", binary.BigEndian.Uint64(seq))
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(seq), err)
			}
			out = append(out, e)
			return nil
		}
		full := func() bool { return limit > 0 && len(out) >= limit }
		if mac == nil {
			c := events.Cursor()
			for k, _ := c.Last(); k != nil && !full(); k, _ = c.Prev() {
				if err := add(k); err != nil {
					return err
				}
			}
			return nil
		}
		prefix := []byte(mac.String())
		c := tx.Bucket(bucketByMAC).Cursor()
		k, _ := c.Seek(append(append([]byte{}, prefix...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix) && !full(); k, _ = c.Prev() {
			if err := add(k[len(prefix):]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record store %s: history of %s: %w", s.path, mac, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
