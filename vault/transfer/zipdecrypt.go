package transfer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"golang.org/x/crypto/pbkdf2"
)

// Reading one entry of a password-protected ZIP archive, which Go's
// archive/zip does not decrypt. archive/zip finds the entries and their raw
// bytes; this file decrypts them, from the published descriptions:
//
//   - traditional PKWARE encryption ("ZipCrypto", APPNOTE.TXT section 6.1):
//     three 32-bit keys driven by CRC-32, a 12-byte encryption header
//     whose last byte checks the password (against the high byte of the
//     CRC, or of the modification time when bit 3 of the flags is set);
//   - WinZip AES (AE-1 and AE-2, WinZip's "AES Encryption Information"):
//     method 99 with an extra field 0x9901 giving the key size and the
//     real method; the data is salt, a 2-byte password verifier, the data
//     in AES-CTR (little-endian counter from 1) and 10 bytes of
//     HMAC-SHA1 over the encrypted data, with the AES key, HMAC key and
//     verifier from PBKDF2-HMAC-SHA1 (1000 rounds). AE-2 stores no CRC.
//
// An entry's uncompressed size is bounded, whatever its headers say.

// ZIP general-purpose flags and methods used here.
const (
	zipFlagEncrypted      = 0x0001
	zipFlagDataDescriptor = 0x0008
	zipFlagStrong         = 0x0040
	zipMethodStore        = 0
	zipMethodDeflate      = 8
	zipMethodAES          = 99
	zipExtraAES           = 0x9901
)

// errZipPassword is returned when the password does not open an entry.
var errZipPassword = errors.New("the password does not open it")

// errZipTooLarge is returned for an entry larger than the bound.
var errZipTooLarge = errors.New("it is larger than an export can be (a ZIP bomb?): refused")

// readZipEntry returns the content of f, decrypting it with password if it
// is encrypted and refusing more than limit bytes. A wrong password's error
// wraps errZipPassword.
func readZipEntry(f *zip.File, password []byte, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, errZipTooLarge
	}
	if f.Flags&zipFlagStrong != 0 {
		return nil, errors.New("it uses PKWARE strong encryption, which Countersign does not read")
	}
	if f.CompressedSize64 > maxInput {
		return nil, errors.New("it is damaged (its size is wrong)")
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("it is damaged (%v)", err)
	}
	data, err := io.ReadAll(io.LimitReader(raw, int64(f.CompressedSize64)))
	if err != nil || uint64(len(data)) != f.CompressedSize64 {
		return nil, errors.New("it is damaged (it is cut short)")
	}
	method := f.Method
	checkCRC := true
	encrypted := f.Flags&zipFlagEncrypted != 0
	zipCrypto := encrypted && f.Method != zipMethodAES
	var ae zipAES
	if f.Method == zipMethodAES {
		if !encrypted {
			return nil, errors.New("it is damaged (an AES entry not marked encrypted)")
		}
		if ae, err = zipAESExtra(f.Extra); err != nil {
			return nil, err
		}
		method, checkCRC = ae.method, ae.version == 1
	}
	if method != zipMethodStore && method != zipMethodDeflate {
		return nil, fmt.Errorf("it is compressed with method %d, which Countersign does not read", method)
	}
	if encrypted && len(password) == 0 {
		return nil, errors.New("it is encrypted: give its password")
	}
	switch {
	case f.Method == zipMethodAES:
		if data, err = winzipAESDecrypt(data, password, ae.strength); err != nil {
			return nil, err
		}
	case zipCrypto:
		checks := []byte{byte(f.CRC32 >> 24)}
		if f.Flags&zipFlagDataDescriptor != 0 {
			// The CRC was not known when the header was written: the
			// high byte of the DOS modification time checks instead.
			checks = append(checks, byte(f.ModifiedTime>>8))
		}
		if data, err = zipCryptoDecrypt(data, password, checks); err != nil {
			return nil, err
		}
	}
	if encrypted {
		defer clear(data) // the decrypted, still compressed, content
	}
	// ZipCrypto checks the password on one byte: a wrong password gets
	// past it once in 256 tries, and then fails below.
	plain, err := zipInflate(method, data, limit)
	if err != nil {
		if zipCrypto && !errors.Is(err, errZipTooLarge) {
			return nil, fmt.Errorf("%w (or the file is damaged: %v)", errZipPassword, err)
		}
		return nil, err
	}
	if uint64(len(plain)) != f.UncompressedSize64 || checkCRC && crc32.ChecksumIEEE(plain) != f.CRC32 {
		clear(plain)
		if zipCrypto {
			return nil, fmt.Errorf("%w (or the file is damaged: its checksum does not match)", errZipPassword)
		}
		return nil, errors.New("it is damaged (its checksum does not match)")
	}
	return plain, nil
}

// zipInflate decompresses a stored or deflated entry, refusing more than
// limit bytes whatever the headers said.
func zipInflate(method uint16, data []byte, limit int64) ([]byte, error) {
	var r io.Reader
	switch method {
	case zipMethodStore:
		r = bytes.NewReader(data)
	case zipMethodDeflate:
		fr := flate.NewReader(bytes.NewReader(data))
		defer fr.Close()
		r = fr
	default:
		return nil, fmt.Errorf("it is compressed with method %d, which Countersign does not read", method)
	}
	plain, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("it does not decompress (%v)", err)
	}
	if int64(len(plain)) > limit {
		return nil, errZipTooLarge
	}
	return plain, nil
}

// zipCryptoKeys is the state of traditional PKWARE encryption.
type zipCryptoKeys [3]uint32

var zipCRCTable = crc32.MakeTable(crc32.IEEE)

func zipCRC32Byte(crc uint32, b byte) uint32 { return zipCRCTable[byte(crc)^b] ^ crc>>8 }

func (k *zipCryptoKeys) update(b byte) {
	k[0] = zipCRC32Byte(k[0], b)
	k[1] = (k[1]+k[0]&0xff)*134775813 + 1
	k[2] = zipCRC32Byte(k[2], byte(k[1]>>24))
}

func (k *zipCryptoKeys) streamByte() byte {
	t := k[2]&0xffff | 2
	return byte(t * (t ^ 1) >> 8)
}

func newZipCryptoKeys(password []byte) *zipCryptoKeys {
	k := &zipCryptoKeys{0x12345678, 0x23456789, 0x34567890}
	for _, b := range password {
		k.update(b)
	}
	return k
}

// zipCryptoDecrypt decrypts an entry's data (its 12-byte encryption header
// first); the header's last byte must be one of checks.
func zipCryptoDecrypt(data, password []byte, checks []byte) ([]byte, error) {
	if len(data) < 12 {
		return nil, errors.New("it is damaged (shorter than its encryption header)")
	}
	k := newZipCryptoKeys(password)
	defer clear(k[:])
	out := make([]byte, len(data))
	for i, c := range data {
		p := c ^ k.streamByte()
		k.update(p)
		out[i] = p
	}
	if !bytes.Contains(checks, out[11:12]) {
		return nil, errZipPassword
	}
	return out[12:], nil
}

// zipAES is what an entry's WinZip AES extra field says.
type zipAES struct {
	version  uint16 // 1: AE-1 (CRC kept), 2: AE-2 (no CRC)
	strength byte   // 1, 2, 3: AES-128, -192, -256
	method   uint16 // the real compression method
}

// zipAESExtra finds the WinZip AES field among an entry's extra fields.
func zipAESExtra(extra []byte) (zipAES, error) {
	for len(extra) >= 4 {
		id, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if size > len(extra) {
			break
		}
		if id == zipExtraAES {
			d := extra[:size]
			if size < 7 || string(d[2:4]) != "AE" {
				return zipAES{}, errors.New("it is damaged (its AES extra field is malformed)")
			}
			a := zipAES{version: binary.LittleEndian.Uint16(d), strength: d[4], method: binary.LittleEndian.Uint16(d[5:])}
			if a.version != 1 && a.version != 2 {
				return zipAES{}, fmt.Errorf("it uses WinZip AES version %d, which Countersign does not read", a.version)
			}
			if a.strength < 1 || a.strength > 3 {
				return zipAES{}, errors.New("it is damaged (unknown AES key size)")
			}
			return a, nil
		}
		extra = extra[size:]
	}
	return zipAES{}, errors.New("it is damaged (an AES entry without its AES extra field)")
}

// WinZip AES constants.
const (
	winzipAESRounds  = 1000
	winzipAESMACSize = 10
	winzipAESPVSize  = 2
)

// winzipAESDecrypt checks the password and the authentication code of a
// WinZip AES entry's data and decrypts it.
func winzipAESDecrypt(data, password []byte, strength byte) ([]byte, error) {
	keyLen := 8 + 8*int(strength) // 16, 24, 32
	saltLen := keyLen / 2
	if len(data) < saltLen+winzipAESPVSize+winzipAESMACSize {
		return nil, errors.New("it is damaged (shorter than its AES header)")
	}
	salt := data[:saltLen]
	pv := data[saltLen : saltLen+winzipAESPVSize]
	body := data[saltLen+winzipAESPVSize : len(data)-winzipAESMACSize]
	mac := data[len(data)-winzipAESMACSize:]
	derived := pbkdf2.Key(password, salt, winzipAESRounds, 2*keyLen+winzipAESPVSize, sha1.New)
	defer clear(derived)
	aesKey, macKey, wantPV := derived[:keyLen], derived[keyLen:2*keyLen], derived[2*keyLen:]
	if subtle.ConstantTimeCompare(pv, wantPV) != 1 {
		return nil, errZipPassword
	}
	h := hmac.New(sha1.New, macKey)
	h.Write(body)
	if !hmac.Equal(h.Sum(nil)[:winzipAESMACSize], mac) {
		return nil, errors.New("it is damaged (its authentication code does not match)")
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(body))
	winzipCTR(block, out, body)
	return out, nil
}

// winzipCTR is AES-CTR as WinZip uses it: a 16-byte little-endian counter
// starting at 1 (Go's cipher.NewCTR counts big-endian).
func winzipCTR(block cipher.Block, dst, src []byte) {
	var ctr, stream [aes.BlockSize]byte
	for off := 0; off < len(src); off += aes.BlockSize {
		for i := range ctr {
			ctr[i]++
			if ctr[i] != 0 {
				break
			}
		}
		block.Encrypt(stream[:], ctr[:])
		subtle.XORBytes(dst[off:], src[off:], stream[:])
	}
	clear(stream[:])
}
