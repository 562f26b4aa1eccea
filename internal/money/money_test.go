package money

import (
	"math"
	"strings"
	"testing"
)

func TestDecimals(t *testing.T) {
	tests := []struct {
		currency string
		want     int
	}{
		{"usd", 2}, {"eur", 2}, {"USD", 2}, {" gbp ", 2},
		{"jpy", 0}, {"krw", 0}, {"clp", 0}, {"vnd", 0}, {"xof", 0}, {"JPY", 0},
		{"bhd", 3}, {"jod", 3}, {"kwd", 3}, {"omr", 3}, {"tnd", 3},
		{"isk", 2}, {"huf", 2}, {"twd", 2},
		{"zzz", 2}, {"", 2},
	}
	for _, tt := range tests {
		if got := Decimals(tt.currency); got != tt.want {
			t.Errorf("Decimals(%q) = %d, want %d", tt.currency, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{2500, "usd", "$25.00"},
		{2500, "USD", "$25.00"},
		{0, "usd", "$0.00"},
		{1, "usd", "$0.01"},
		{99, "usd", "$0.99"},
		{-500, "usd", "-$5.00"},
		{123456, "eur", "€1,234.56"},
		{100000000, "gbp", "£1,000,000.00"},
		{500, "jpy", "¥500"},
		{1234567, "jpy", "¥1,234,567"},
		{-1000, "krw", "-₩1,000"},
		{5000, "xaf", "XAF 5,000"},
		{5120, "kwd", "KWD 5.120"},
		{1005, "bhd", "BHD 1.005"},
		{1234567890, "jod", "JOD 1,234,567.890"},
		{4000, "isk", "ISK 40"},
		{123400, "isk", "ISK 1,234"},
		{4050, "isk", "ISK 40.50"},
		{123456, "huf", "HUF 1,234.56"},
		{9900, "twd", "NT$99.00"},
		{1250, "chf", "CHF 12.50"},
		{1250, "sgd", "SGD 12.50"},
		{1250, "cad", "CA$12.50"},
		{1250, "aud", "A$12.50"},
		{1250, "inr", "₹12.50"},
		{1250, "brl", "R$12.50"},
		{1250, "cny", "CN¥12.50"},
		{1250, "ils", "₪12.50"},
		{1250, "php", "₱12.50"},
		{1250, "mxn", "MX$12.50"},
		{1250, "hkd", "HK$12.50"},
		{1250, "nzd", "NZ$12.50"},
		{math.MaxInt64, "usd", "$92,233,720,368,547,758.07"},
		{math.MinInt64, "usd", "-$92,233,720,368,547,758.08"},
		{math.MinInt64, "jpy", "-¥9,223,372,036,854,775,808"},
		{math.MinInt64, "kwd", "-KWD 9,223,372,036,854,775.808"},
		{math.MaxInt64, "isk", "ISK 92,233,720,368,547,758.07"},
	}
	for _, tt := range tests {
		if got := Format(tt.amount, tt.currency); got != tt.want {
			t.Errorf("Format(%d, %q) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestValidCurrencyAndNormalize(t *testing.T) {
	tests := []struct {
		in        string
		valid     bool
		norm      string
		normValid bool
	}{
		{"usd", true, "usd", true},
		{"USD", false, "usd", true},
		{" Eur\n", false, "eur", true},
		{"us", false, "us", false},
		{"usdd", false, "usdd", false},
		{"u5d", false, "u5d", false},
		{"", false, "", false},
		{"üsd", false, "üsd", false},
	}
	for _, tt := range tests {
		if got := ValidCurrency(tt.in); got != tt.valid {
			t.Errorf("ValidCurrency(%q) = %v, want %v", tt.in, got, tt.valid)
		}
		n := Normalize(tt.in)
		if n != tt.norm {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, n, tt.norm)
		}
		if got := ValidCurrency(n); got != tt.normValid {
			t.Errorf("ValidCurrency(Normalize(%q)) = %v, want %v", tt.in, got, tt.normValid)
		}
	}
}

func TestCheckAmount(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		wantErr  []string // substrings; nil means valid
	}{
		{2500, "usd", nil},
		{1, "usd", nil},
		{MaxAmount, "usd", nil},
		{500, "jpy", nil},
		{5120, "kwd", nil},
		{4000, "isk", nil},
		{4000, "ISK", nil},
		{123, "huf", nil},
		{0, "usd", []string{"amount 0 usd is not positive", "1/100 usd", "$25.00"}},
		{-500, "usd", []string{"-500", "not positive"}},
		{math.MinInt64, "usd", []string{"not positive"}},
		{0, "jpy", []string{"whole jpy", "¥500"}},
		{MaxAmount + 1, "usd", []string{"100000000 usd", "maximum of 99999999", "eight digits", "$999,999.99"}},
		{math.MaxInt64, "jpy", []string{"maximum of 99999999", "jpy"}},
		{4050, "isk", []string{"4050 isk", "multiple of 100", "ISK 40"}},
		{5125, "kwd", []string{"5125 kwd", "end in 0", "1/1000", "KWD 5.120"}},
		{1001, "tnd", []string{"tnd", "end in 0"}},
		{100, "us", []string{`currency "us"`, "three-letter"}},
	}
	for _, tt := range tests {
		err := CheckAmount(tt.amount, tt.currency)
		if tt.wantErr == nil {
			if err != nil {
				t.Errorf("CheckAmount(%d, %q) = %v, want nil", tt.amount, tt.currency, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("CheckAmount(%d, %q) = nil, want error", tt.amount, tt.currency)
			continue
		}
		msg := err.Error()
		for _, s := range tt.wantErr {
			if !strings.Contains(msg, s) {
				t.Errorf("CheckAmount(%d, %q) = %q, want it to contain %q", tt.amount, tt.currency, msg, s)
			}
		}
		if msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") || strings.Contains(msg, "\n") {
			t.Errorf("CheckAmount(%d, %q) = %q: want one line, lower-case start, no trailing period", tt.amount, tt.currency, msg)
		}
	}
}

func TestUnit(t *testing.T) {
	tests := map[string]string{
		"usd": "1/100 usd, so 2500 = $25.00",
		"jpy": "whole jpy (no minor unit), so 500 = ¥500",
		"kwd": "1/1000 kwd with a final 0, so 5120 = KWD 5.120",
		"isk": "1/100 isk in multiples of 100, so 4000 = ISK 40",
	}
	for cur, want := range tests {
		if got := Unit(cur); got != want {
			t.Errorf("Unit(%q) = %q, want %q", cur, got, want)
		}
	}
}
