package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/countersign/countersign/push/store"
)

// rpCache keeps the relying parties seen so far in memory. A key it does
// not know is looked up in the database by its hash (another process may
// have added it): the lookup reveals nothing of the keys, only of hashes.
type rpCache struct {
	mu  sync.Mutex
	rps []store.RelyingParty
}

// find returns the relying party whose key hash is hash; cached hashes are
// compared in constant time.
func (c *rpCache) find(hash []byte, lookup func([]byte) (store.RelyingParty, error)) (store.RelyingParty, bool, error) {
	c.mu.Lock()
	for _, rp := range c.rps {
		if subtle.ConstantTimeCompare(rp.KeyHash, hash) == 1 {
			c.mu.Unlock()
			return rp, true, nil
		}
	}
	c.mu.Unlock()
	rp, err := lookup(hash)
	if errors.Is(err, store.ErrNotFound) {
		return rp, false, nil
	}
	if err != nil {
		return rp, false, err
	}
	c.mu.Lock()
	c.rps = append(c.rps, rp)
	c.mu.Unlock()
	return rp, true, nil
}

// byName returns a cached relying party.
func (c *rpCache) byName(name string) (store.RelyingParty, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rp := range c.rps {
		if rp.Name == name {
			return rp, true
		}
	}
	return store.RelyingParty{}, false
}

// withRP authenticates a relying party by its API key (Authorization:
// Bearer KEY): only the key's SHA-256 is stored and compared.
func (s *Server) withRP(h func(w http.ResponseWriter, r *http.Request, rp store.RelyingParty)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			s.writeError(w, errorf("unauthorized", "send the relying party's API key as Authorization: Bearer KEY"))
			return
		}
		hash := sha256.Sum256([]byte(key))
		rp, ok, err := s.rps.find(hash[:], s.store.RelyingPartyByKeyHash)
		if err != nil {
			s.writeError(w, err)
			return
		}
		if !ok {
			s.logRefused("unknown API key", "remote", r.RemoteAddr)
			s.writeError(w, errorf("unauthorized", "the API key is not valid (countersignd rp add NAME makes one)"))
			return
		}
		h(w, r, rp)
	}
}
