package telephony

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Bounds on an E.164 number's digits, the country code included.
const (
	// MaxE164Digits is E.164's limit.
	MaxE164Digits = 15
	// MinE164Digits is the shortest number in use (a 3-digit country code
	// and a 4-digit subscriber number, as on Niue or Saint Helena).
	MinE164Digits = 7
)

// ErrNonGeographic is wrapped by Country's error for a number of a
// non-geographic code (international freephone, satellite phones,
// international networks, premium rate): such a number is valid E.164 but
// belongs to no country.
var ErrNonGeographic = errors.New("the number belongs to no country")

// NormalizeE164 turns a phone number as a person writes it, "+1 (415)
// 555-0123" or "+44 (0)20 7946 0958", into E.164: a + and the digits alone,
// "+14155550123". Spaces, dots, dashes, slashes and parentheses between the
// digits are dropped, and so is a "(0)" (the trunk prefix that is not
// dialled from abroad). It refuses a number without its leading + and
// country code, letters, a number of a calling code that is not assigned,
// fewer than 7 or more than 15 digits, and a +1 number without exactly 10
// digits after the 1.
func NormalizeE164(s string) (string, error) {
	if len(s) > 64 {
		return "", fmt.Errorf("phone number %q is too long: E.164 numbers have at most %d digits", limit(s, 24), MaxE164Digits)
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errors.New("phone number is empty: write it in international form, like +14155550123")
	case strings.HasPrefix(s, "00"):
		return "", fmt.Errorf("phone number %q starts with 00: write + instead, then the country code, like +%s", s, strings.TrimLeft(strings.TrimPrefix(s, "00"), " "))
	case s[0] != '+':
		return "", fmt.Errorf("phone number %q has no leading +: write it in international form, + and the country code first, like +14155550123", s)
	}
	digits := make([]byte, 0, MaxE164Digits+1)
	for _, r := range strings.ReplaceAll(s[1:], "(0)", "") {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		case r == '+':
			return "", fmt.Errorf("phone number %q has a + that is not at its start", s)
		case unicode.IsLetter(r):
			return "", fmt.Errorf("phone number %q has letters: write its digits only", s)
		default:
			return "", fmt.Errorf("phone number %q has %q, which is not a digit, space, dot, dash, slash or parenthesis", s, r)
		}
	}
	n := len(digits)
	switch {
	case n == 0:
		return "", fmt.Errorf("phone number %q has no digits", s)
	case digits[0] == '0':
		return "", fmt.Errorf("phone number %q: a country code never starts with 0; write the country code after the +, then the number without its leading 0", s)
	case n < MinE164Digits:
		return "", fmt.Errorf("phone number %q is too short: %d digits with the country code, at least %d", s, n, MinE164Digits)
	case n > MaxE164Digits:
		return "", fmt.Errorf("phone number %q is too long: %d digits with the country code, E.164 allows at most %d", s, n, MaxE164Digits)
	}
	if _, ok := callingCode(string(digits)); !ok {
		return "", fmt.Errorf("phone number %q does not start with an assigned country calling code: check the digits after the +", s)
	}
	if digits[0] == '1' && n != 11 {
		return "", fmt.Errorf("phone number %q has %d digits after +1; numbers of the United States, Canada and the rest of +1 have 10 (the area code and 7 digits)", s, n-1)
	}
	return "+" + string(digits), nil
}

// callingCode is the country calling code that digits (a number without
// its +) starts with.
func callingCode(digits string) (string, bool) {
	for n := 1; n <= 3 && n <= len(digits); n++ {
		if _, ok := callingCodes[digits[:n]]; ok {
			return digits[:n], true
		}
	}
	return "", false
}

// Country is the ISO 3166-1 alpha-2 code of the country of an E.164
// number, by its country calling code: "+14155550123" is US, "+442079460958"
// GB, "+4930..." DE. The longest known prefix wins, so +1 numbers are split
// by area code: Canada's area codes give CA, the Caribbean's their own
// countries (+1 876 is JM), the US territories theirs (+1 787 is PR), and
// any other +1 number is US. The number must be in E.164 form already (see
// NormalizeE164). A number of a non-geographic code (+800, +881, +882...)
// gives an error that wraps ErrNonGeographic. See countrycodes.go for the
// table and its sources.
func Country(e164 string) (string, error) {
	normal, err := NormalizeE164(e164)
	if err != nil {
		return "", err
	}
	if normal != e164 {
		return "", fmt.Errorf("phone number %q is not in E.164 form (%s): pass it through NormalizeE164 first", e164, normal)
	}
	digits := e164[1:]
	code, _ := callingCode(digits) // NormalizeE164 has checked it
	for n := min(len(digits), 7); n > len(code); n-- {
		if region, ok := sharedPrefixes[digits[:n]]; ok {
			return region, nil
		}
	}
	region := callingCodes[code]
	if region == nonGeographic {
		return "", fmt.Errorf("phone number %s (calling code +%s): %w", e164, code, ErrNonGeographic)
	}
	return region, nil
}

// ParseCountries reads a list of countries, "US,GB,DE" (spaces around the
// commas and lower case are fine), into their ISO 3166-1 alpha-2 codes,
// upper-cased, in order, each once. Every code must be one that Country can
// return; an empty list gives nil. It refuses "UK" (the code is GB) and
// names the region Country reports for places that share another's prefix
// (Jersey's numbers are GB).
func ParseCountries(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	known := knownRegions()
	var out []string
	seen := map[string]bool{}
	for i, item := range strings.Split(list, ",") {
		code := strings.ToUpper(strings.TrimSpace(item))
		switch {
		case code == "":
			return nil, fmt.Errorf("country list %q: item %d is empty; write codes separated by commas, like US,GB,DE", limit(list, 80), i+1)
		case len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z':
			return nil, fmt.Errorf("country list: %q is not a two-letter ISO 3166-1 code, like US, GB or DE", limit(code, 20))
		case code == "UK":
			return nil, errors.New("country list: UK is not the ISO 3166-1 code of the United Kingdom; write GB")
		case sharedRegions[code] != "":
			return nil, fmt.Errorf("country list: %s's numbers share a calling code with %s and are counted as %s; write %s", code, sharedRegions[code], sharedRegions[code], sharedRegions[code])
		case !known[code]:
			return nil, fmt.Errorf("country list: %s is not a country with a calling code in the table (see ISO 3166-1 alpha-2)", code)
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out, nil
}

// knownRegions is every region Country can return.
func knownRegions() map[string]bool {
	known := map[string]bool{}
	for _, r := range callingCodes {
		if r != nonGeographic {
			known[r] = true
		}
	}
	for _, r := range sharedPrefixes {
		known[r] = true
	}
	return known
}
