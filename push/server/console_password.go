package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Administrators' passwords are hashed with Argon2id (RFC 9106) and stored
// in the PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH
//
// with unpadded base64 salt and hash. The parameters are OWASP's first
// recommendation for Argon2id (19 MiB, two passes, one lane), which RFC
// 9106 allows for memory-constrained servers: this server runs on small
// machines, and a sign-in needs the push too, so the password is not the
// only thing between an attacker and the console. At most
// maxConcurrentHashes hashes run at once, so a burst of sign-ins cannot
// take more than that much memory.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	// MinPasswordLength is the fewest characters of an administrator's password.
	MinPasswordLength = 12
	// maxPasswordLength bounds what is hashed (bytes).
	maxPasswordLength = 1024
	// maxConcurrentHashes bounds the hashes computed at once.
	maxConcurrentHashes = 2
)

// hashSlots limits concurrent Argon2id computations.
var hashSlots = make(chan struct{}, maxConcurrentHashes)

func argon2id(password, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, t, m, p, n)
}

// checkPassword refuses passwords that are too short or too long.
func checkPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength {
		return fmt.Errorf("the password has %d characters; use at least %d", n, MinPasswordLength)
	}
	if len(password) > maxPasswordLength {
		return fmt.Errorf("the password is over %d bytes; use a shorter one", maxPasswordLength)
	}
	return nil
}

// hashPassword returns the PHC string of a new Argon2id hash of password.
func hashPassword(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("making a salt: %w", err)
	}
	key := argon2id([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash is a stored hash that is not a PHC Argon2id string this
// server can check.
var errBadHash = errors.New("the stored password hash is not an Argon2id PHC string; set the password again (countersignd admin remove, then admin add)")

// verifyPassword reports whether password matches the PHC string phc, in
// constant time over the hashes. The parameters come from the string
// (hashes made with older parameters keep working), within bounds.
func verifyPassword(phc, password string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 ||
		m < 8*uint32(max(p, 1)) || m > 1<<21 || t < 1 || t > 16 || p < 1 || p > 16 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false, errBadHash
	}
	if len(password) > maxPasswordLength {
		return false, nil
	}
	got := argon2id([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when no administrator has the name given,
// so that an unknown name takes as long as a wrong password.
// It is made at the first use.
var dummyHash = sync.OnceValue(func() string {
	h, err := hashPassword("not the password of anyone")
	if err != nil {
		panic(err) // fixed input
	}
	return h
})
