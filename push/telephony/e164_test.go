package telephony

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeE164(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"+1 (415) 555-0123", "+14155550123", ""},
		{"+44 20 7946 0958", "+442079460958", ""},
		{"+44 (0)20 7946 0958", "+442079460958", ""},
		{"  +49 30/1234567 ", "+49301234567", ""},
		{"+33.1.23.45.67.89", "+33123456789", ""},
		{"+81 3-1234-5678", "+81312345678", ""},
		{"+683 4002", "+6834002", ""},
		{"+86\u00a0138 0013 8000", "+8613800138000", ""},
		{"+882 1234 5678", "+88212345678", ""},
		{"4155550123", "", "has no leading +: write it in international form"},
		{"0044 20 7946 0958", "", "starts with 00: write + instead, then the country code, like +44 20 7946 0958"},
		{"", "", "phone number is empty"},
		{"+1 800 FLOWERS", "", "has letters: write its digits only"},
		{"+1 415 555 0123 ext 7", "", "has letters"},
		{"+1+4155550123", "", "has a + that is not at its start"},
		{"+1 415 555 0123;", "", `has ';', which is not a digit`},
		{"+", "", "has no digits"},
		{"+044 20 7946 0958", "", "a country code never starts with 0"},
		{"+49 301", "", "too short: 5 digits with the country code, at least 7"},
		{"+49 3012 3456 7890 12", "", "too long: 16 digits with the country code, E.164 allows at most 15"},
		{"+" + strings.Repeat("1", 70), "", "too long: E.164 numbers have at most 15 digits"},
		{"+1 415 555 012", "", "has 9 digits after +1"},
		{"+999 1234 5678", "", "does not start with an assigned country calling code"},
		{"+٤٤٢٠٧٩٤٦٠٩٥٨", "", "which is not a digit"},
	} {
		got, err := NormalizeE164(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("NormalizeE164(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("NormalizeE164(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
		}
	}
}

func TestCountry(t *testing.T) {
	for _, tc := range []struct{ number, want string }{
		{"+14155550123", "US"},
		{"+12125550123", "US"},
		{"+14165550123", "CA"},
		{"+16045550123", "CA"},
		{"+18765550123", "JM"},
		{"+17875550123", "PR"},
		{"+18095550123", "DO"},
		{"+442079460958", "GB"},
		{"+49301234567", "DE"},
		{"+33123456789", "FR"},
		{"+81312345678", "JP"},
		{"+8613800138000", "CN"},
		{"+919876543210", "IN"},
		{"+5511987654321", "BR"},
		{"+74951234567", "RU"},
		{"+77011234567", "KZ"},
		{"+2348012345678", "NG"},
		{"+38344123456", "XK"},
		{"+35818123456", "AX"},
		{"+358401234567", "FI"},
		{"+262269612345", "YT"},
		{"+262262123456", "RE"},
		{"+59997123456", "CW"},
		{"+5997171234", "BQ"},
		{"+6834002", "NU"},
		{"+97221234567", "IL"},
	} {
		got, err := Country(tc.number)
		if err != nil || got != tc.want {
			t.Errorf("Country(%s) = %q, %v; want %q", tc.number, got, err, tc.want)
		}
	}
}

func TestCountryErrors(t *testing.T) {
	_, err := Country("+88212345678")
	if !errors.Is(err, ErrNonGeographic) || !strings.Contains(err.Error(), "calling code +882") {
		t.Errorf("Country(+882...) error = %v; want ErrNonGeographic naming +882", err)
	}
	if _, err := Country("+1 415 555 0123"); err == nil || !strings.Contains(err.Error(), "not in E.164 form (+14155550123)") {
		t.Errorf("Country of a number not normalised: %v", err)
	}
	if _, err := Country("+999123456"); err == nil {
		t.Error("Country of an unassigned code gave no error")
	}
}

// TestCallingCodesArePrefixFree checks the table as E.164 promises: no
// calling code is the start of another, so the first match is the only one;
// and every shared prefix lies inside a code of the table.
func TestCallingCodesArePrefixFree(t *testing.T) {
	for a := range callingCodes {
		for b := range callingCodes {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("calling code %s is a prefix of %s", a, b)
			}
		}
		if len(a) > 3 || a[0] == '0' || strings.Trim(a, "0123456789") != "" {
			t.Errorf("calling code %q is not 1 to 3 digits", a)
		}
	}
	for p, region := range sharedPrefixes {
		code, ok := callingCode(p)
		if !ok || len(code) >= len(p) {
			t.Errorf("shared prefix %s (%s) is not inside a calling code", p, region)
		}
	}
	if n := len(callingCodes); n < 210 {
		t.Errorf("only %d calling codes in the table", n)
	}
}

func TestParseCountries(t *testing.T) {
	got, err := ParseCountries(" us, gb ,DE,US,jm")
	if want := []string{"US", "GB", "DE", "JM"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseCountries = %q, %v; want %q", got, err, want)
	}
	if got, err := ParseCountries(""); got != nil || err != nil {
		t.Errorf("ParseCountries(\"\") = %q, %v", got, err)
	}
	for _, tc := range []struct{ in, err string }{
		{"US,,GB", "item 2 is empty"},
		{"USA", `"USA" is not a two-letter ISO 3166-1 code`},
		{"U1", `"U1" is not a two-letter`},
		{"UK", "write GB"},
		{"JE", "JE's numbers share a calling code with GB and are counted as GB; write GB"},
		{"ZZ", "ZZ is not a country with a calling code"},
	} {
		if _, err := ParseCountries(tc.in); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseCountries(%q) error = %v; want %q", tc.in, err, tc.err)
		}
	}
}
