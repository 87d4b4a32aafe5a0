package vault

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Migration is the content of one Google Authenticator export QR code
// (otpauth-migration://offline?data=...). An export of many accounts spans
// several codes that share BatchID, numbered BatchIndex 0..BatchSize-1.
type Migration struct {
	Keys       []Key
	Version    int
	BatchSize  int
	BatchIndex int
	BatchID    int
}

// MigrationError is returned for a malformed otpauth-migration URI. It never
// contains a secret.
type MigrationError struct {
	Problem string
}

// Error reads "Google Authenticator export: PROBLEM"; it never holds a secret.
func (e *MigrationError) Error() string {
	return "Google Authenticator export: " + e.Problem
}

func migrationErr(format string, args ...any) error {
	return &MigrationError{Problem: fmt.Sprintf(format, args...)}
}

// Field numbers of the MigrationPayload protobuf message of Google Authenticator.
const (
	payloadOTPParameters = 1
	payloadVersion       = 2
	payloadBatchSize     = 3
	payloadBatchIndex    = 4
	payloadBatchID       = 5

	paramSecret    = 1
	paramName      = 2
	paramIssuer    = 3
	paramAlgorithm = 4
	paramDigits    = 5
	paramType      = 6
	paramCounter   = 7
)

// IsMigrationURI reports whether s looks like a Google Authenticator export.
func IsMigrationURI(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "otpauth-migration://")
}

// ParseMigrationURI decodes a Google Authenticator export URI and returns
// every account it holds. Missing (unspecified) algorithm, digits and type
// mean SHA1, 6 digits and TOTP; the period is always 30 seconds.
func ParseMigrationURI(raw string) (Migration, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURILength*4 {
		return Migration{}, migrationErr("the URI is too long (%d bytes)", len(raw))
	}
	if !IsMigrationURI(raw) {
		return Migration{}, migrationErr("not an otpauth-migration:// URI")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Only url.Parse's reason: its *url.Error quotes the whole URI,
		// every account's secret with it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Migration{}, migrationErr("malformed URI: %v", err)
	}
	if !strings.EqualFold(u.Host, "offline") {
		return Migration{}, migrationErr("unknown kind %q (expected otpauth-migration://offline)", truncate(u.Host, 40))
	}
	data := u.Query().Get("data")
	if data == "" {
		return Migration{}, migrationErr("the data parameter is missing")
	}
	// Exports use standard base64 with padding; '+' may have become a space
	// when the query was decoded, and some tools drop the padding.
	data = strings.TrimRight(strings.ReplaceAll(data, " ", "+"), "=")
	payload, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil {
		if payload, err = base64.RawURLEncoding.DecodeString(data); err != nil {
			return Migration{}, migrationErr("the data parameter is not valid base64")
		}
	}
	return decodeMigrationPayload(payload)
}

func decodeMigrationPayload(b []byte) (Migration, error) {
	var m Migration
	err := forEachField(b, func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error {
		switch {
		case num == payloadOTPParameters && typ == protowire.BytesType:
			k, err := decodeOTPParameters(bytes)
			if err != nil {
				return fmt.Errorf("account %d: %w", len(m.Keys)+1, err)
			}
			m.Keys = append(m.Keys, k)
		case num == payloadVersion && typ == protowire.VarintType:
			m.Version = int(int32(v))
		case num == payloadBatchSize && typ == protowire.VarintType:
			m.BatchSize = int(int32(v))
		case num == payloadBatchIndex && typ == protowire.VarintType:
			m.BatchIndex = int(int32(v))
		case num == payloadBatchID && typ == protowire.VarintType:
			m.BatchID = int(int32(v))
		}
		return nil
	})
	if err != nil {
		return Migration{}, migrationErr("%v", err)
	}
	if len(m.Keys) == 0 {
		return Migration{}, migrationErr("it holds no accounts")
	}
	if m.BatchSize < 0 || m.BatchIndex < 0 || (m.BatchSize > 0 && m.BatchIndex >= m.BatchSize) {
		return Migration{}, migrationErr("batch index %d is out of range for batch size %d", m.BatchIndex, m.BatchSize)
	}
	return m, nil
}

func decodeOTPParameters(b []byte) (Key, error) {
	var k Key
	var hasCounter bool
	err := forEachField(b, func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error {
		switch {
		case num == paramSecret && typ == protowire.BytesType:
			k.Secret = append([]byte(nil), bytes...)
		case num == paramName && typ == protowire.BytesType:
			k.Name = string(bytes)
		case num == paramIssuer && typ == protowire.BytesType:
			k.Issuer = string(bytes)
		case num == paramAlgorithm && typ == protowire.VarintType:
			switch v {
			case 0, 1:
				k.Algorithm = SHA1
			case 2:
				k.Algorithm = SHA256
			case 3:
				k.Algorithm = SHA512
			case 4:
				return fieldErr("algorithm", "MD5 is not supported")
			default:
				return fieldErr("algorithm", "unknown value %d", v)
			}
		case num == paramDigits && typ == protowire.VarintType:
			switch v {
			case 0, 1:
				k.Digits = 6
			case 2:
				k.Digits = 8
			default:
				return fieldErr("digits", "unknown value %d", v)
			}
		case num == paramType && typ == protowire.VarintType:
			switch v {
			case 0, 2:
				k.Type = TOTP
			case 1:
				k.Type = HOTP
			default:
				return fieldErr("type", "unknown value %d", v)
			}
		case num == paramCounter && typ == protowire.VarintType:
			k.Counter, hasCounter = v, true
		}
		return nil
	})
	if err != nil {
		return Key{}, err
	}
	// Google Authenticator writes "Issuer:account" as the name when there
	// is an issuer; strip exactly that prefix. Without an issuer the name
	// field is the name, colons and all ("encoding: ¿äÄéÉ? (demo)").
	if k.Issuer != "" {
		if account, ok := strings.CutPrefix(k.Name, k.Issuer+":"); ok {
			k.Name = strings.TrimLeft(account, " ")
		}
	}
	if k.Type == "" {
		k.Type = TOTP
	}
	if k.Type == HOTP && !hasCounter {
		k.Counter = 0
	}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return Key{}, err
	}
	return k, nil
}

// forEachField walks the fields of one protobuf message, calling fn with the
// varint value or the bytes of each field it understands; fixed-width and
// group fields are skipped.
func forEachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("corrupt data: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var bytes []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("corrupt data: %w", protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, bytes); err != nil {
			return err
		}
	}
	return nil
}

// MigrationURI encodes m as a Google Authenticator export URI
// (otpauth-migration://offline?data=...). Google Authenticator knows only
// SHA1/SHA256/SHA512, 6 or 8 digits, a 30-second period, TOTP and HOTP: other
// keys are refused with an error naming the account and the field.
func MigrationURI(m Migration) (string, error) {
	var b []byte
	for _, k := range m.Keys {
		p, err := encodeOTPParameters(k)
		if err != nil {
			return "", migrationErr("%s cannot be exported: %v", k.Label(), err)
		}
		b = protowire.AppendTag(b, payloadOTPParameters, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	}
	for _, f := range []struct {
		num protowire.Number
		v   int
	}{{payloadVersion, m.Version}, {payloadBatchSize, m.BatchSize}, {payloadBatchIndex, m.BatchIndex}, {payloadBatchID, m.BatchID}} {
		b = protowire.AppendTag(b, f.num, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(f.v)))
	}
	return "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(b)), nil
}

// CanMigrate says why Google Authenticator cannot hold k (a *FieldError),
// or nil when MigrationURI can encode it.
func CanMigrate(k Key) error {
	_, err := encodeOTPParameters(k)
	return err
}

func encodeOTPParameters(k Key) ([]byte, error) {
	var alg, digits, typ uint64
	switch k.Type {
	case TOTP, "":
		typ = 2
		if k.Period != 0 && k.Period != DefaultPeriod {
			return nil, fieldErr("period", "Google Authenticator supports only 30 seconds, not %d", k.Period)
		}
	case HOTP:
		typ = 1
	default:
		return nil, fieldErr("type", "Google Authenticator does not support %s codes", k.Type)
	}
	switch k.Algorithm {
	case SHA1, "":
		alg = 1
	case SHA256:
		alg = 2
	case SHA512:
		alg = 3
	default:
		return nil, fieldErr("algorithm", "%q is not supported by Google Authenticator", k.Algorithm)
	}
	switch k.Digits {
	case 6, 0:
		digits = 1
	case 8:
		digits = 2
	default:
		return nil, fieldErr("digits", "Google Authenticator supports 6 or 8, not %d", k.Digits)
	}
	name := k.Name
	if k.Issuer != "" {
		name = k.Issuer + ":" + k.Name
	}
	var b []byte
	b = protowire.AppendTag(b, paramSecret, protowire.BytesType)
	b = protowire.AppendBytes(b, k.Secret)
	b = protowire.AppendTag(b, paramName, protowire.BytesType)
	b = protowire.AppendString(b, name)
	b = protowire.AppendTag(b, paramIssuer, protowire.BytesType)
	b = protowire.AppendString(b, k.Issuer)
	for _, f := range []struct {
		num protowire.Number
		v   uint64
	}{{paramAlgorithm, alg}, {paramDigits, digits}, {paramType, typ}, {paramCounter, k.Counter}} {
		b = protowire.AppendTag(b, f.num, protowire.VarintType)
		b = protowire.AppendVarint(b, f.v)
	}
	return b, nil
}
