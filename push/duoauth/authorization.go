package duoauth

import (
	"encoding/base64"
	"errors"
	"strings"
)

// maxAuthorization bounds the Authorization header: an integration key and
// a hex HMAC-SHA512 take under 250 bytes in base64.
const maxAuthorization = 1024

// maxIKey bounds an integration key (Duo's are 20 characters).
const maxIKey = 64

// ParseAuthorization reads Duo's Authorization header, "Basic " and the
// base64 of "IKEY:HEXSIG". The signature must be lower- or upper-case hex
// of an HMAC-SHA1 (40 digits) or HMAC-SHA512 (128 digits); the integration
// key printable ASCII without a colon.
func ParseAuthorization(header string) (ikey, sig string, err error) {
	if len(header) > maxAuthorization {
		return "", "", errors.New("the Authorization header is too long")
	}
	scheme, b64, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New(`the Authorization header is not "Basic" followed by base64`)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", "", errors.New("the Authorization header's credentials are not valid base64")
	}
	ikey, sig, found = strings.Cut(string(raw), ":")
	if !found || ikey == "" {
		return "", "", errors.New("the credentials are not IKEY:SIGNATURE")
	}
	if len(ikey) > maxIKey {
		return "", "", errors.New("the integration key is too long")
	}
	for i := 0; i < len(ikey); i++ {
		if ikey[i] <= ' ' || ikey[i] > '~' {
			return "", "", errors.New("the integration key has a character outside printable ASCII")
		}
	}
	if len(sig) != 40 && len(sig) != 128 {
		return "", "", errors.New("the signature is not a hex HMAC-SHA1 or HMAC-SHA512")
	}
	for i := 0; i < len(sig); i++ {
		c := sig[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", "", errors.New("the signature is not hex")
		}
	}
	return ikey, strings.ToLower(sig), nil
}
