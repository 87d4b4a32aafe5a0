package telephony

// This file holds the table of country calling codes that Country and
// NormalizeE164 read.
//
// Source: the ITU-T E.164 assigned country codes, as listed in the
// "List of ITU-T Recommendation E.164 assigned country codes" (Annex to the
// ITU Operational Bulletin, updated by later bulletins up to 2025),
// cross-checked against libphonenumber's CountryCodeToRegionCodeMap. Regions
// are ISO 3166-1 alpha-2 codes; "001" (the UN M.49 code for the world, as
// libphonenumber writes it) marks the non-geographic codes (international
// freephone, satellite and international networks, premium rate).
// Codes that ITU lists as spare or reserved are left out, so a number that
// starts with one is refused. Kosovo's +383 is "XK", the code Europe uses
// for it in the absence of an ISO one; Ascension's +247 is "AC", reserved
// by ISO 3166 for it.
//
// Shared codes: +1 (the North American Numbering Plan) is split by area
// code, from the NANPA's list of area codes of the countries other than the
// United States and the Canadian Numbering Administration Consortium's list
// of Canadian area codes (both as of 2025); any other +1 number is US.
// A few other shared codes are split where the prefixes are few and fixed
// (+7 7 Kazakhstan, +262 269/639 Mayotte, +358 18 Åland, +47 79 Svalbard,
// +599 3/4/7 Caribbean Netherlands). Elsewhere the number gets the region
// that owns the code: Guernsey, Jersey and the Isle of Man are GB (+44),
// Saint Barthélemy and Saint Martin GP (+590), Cocos and Christmas Islands
// AU (+61), Vatican City's +39 06 698 numbers IT, Western Sahara MA
// (+212).

// nonGeographic is the region of the codes that belong to no country.
const nonGeographic = "001"

// callingCodes maps each assigned country calling code (1 to 3 digits) to
// the region that owns it.
var callingCodes = map[string]string{
	// Zone 1: North American Numbering Plan (split by area code below).
	"1": "US",
	// Zone 2: mostly Africa.
	"20": "EG", "211": "SS", "212": "MA", "213": "DZ", "216": "TN", "218": "LY",
	"220": "GM", "221": "SN", "222": "MR", "223": "ML", "224": "GN", "225": "CI",
	"226": "BF", "227": "NE", "228": "TG", "229": "BJ", "230": "MU", "231": "LR",
	"232": "SL", "233": "GH", "234": "NG", "235": "TD", "236": "CF", "237": "CM",
	"238": "CV", "239": "ST", "240": "GQ", "241": "GA", "242": "CG", "243": "CD",
	"244": "AO", "245": "GW", "246": "IO", "247": "AC", "248": "SC", "249": "SD",
	"250": "RW", "251": "ET", "252": "SO", "253": "DJ", "254": "KE", "255": "TZ",
	"256": "UG", "257": "BI", "258": "MZ", "260": "ZM", "261": "MG", "262": "RE",
	"263": "ZW", "264": "NA", "265": "MW", "266": "LS", "267": "BW", "268": "SZ",
	"269": "KM", "27": "ZA", "290": "SH", "291": "ER", "297": "AW", "298": "FO",
	"299": "GL",
	// Zones 3 and 4: Europe.
	"30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES", "350": "GI",
	"351": "PT", "352": "LU", "353": "IE", "354": "IS", "355": "AL", "356": "MT",
	"357": "CY", "358": "FI", "359": "BG", "36": "HU", "370": "LT", "371": "LV",
	"372": "EE", "373": "MD", "374": "AM", "375": "BY", "376": "AD", "377": "MC",
	"378": "SM", "379": "VA", "380": "UA", "381": "RS", "382": "ME", "383": "XK",
	"385": "HR", "386": "SI", "387": "BA", "389": "MK", "39": "IT",
	"40": "RO", "41": "CH", "420": "CZ", "421": "SK", "423": "LI", "43": "AT",
	"44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL", "49": "DE",
	// Zone 5: South and Central America.
	"500": "FK", "501": "BZ", "502": "GT", "503": "SV", "504": "HN", "505": "NI",
	"506": "CR", "507": "PA", "508": "PM", "509": "HT", "51": "PE", "52": "MX",
	"53": "CU", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "58": "VE",
	"590": "GP", "591": "BO", "592": "GY", "593": "EC", "594": "GF", "595": "PY",
	"596": "MQ", "597": "SR", "598": "UY", "599": "CW",
	// Zone 6: Southeast Asia and Oceania.
	"60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG",
	"66": "TH", "670": "TL", "672": "NF", "673": "BN", "674": "NR", "675": "PG",
	"676": "TO", "677": "SB", "678": "VU", "679": "FJ", "680": "PW", "681": "WF",
	"682": "CK", "683": "NU", "685": "WS", "686": "KI", "687": "NC", "688": "TV",
	"689": "PF", "690": "TK", "691": "FM", "692": "MH",
	// Zone 7: Russia and Kazakhstan (split below).
	"7": "RU",
	// Zone 8: East Asia and international services.
	"800": nonGeographic, // international freephone
	"808": nonGeographic, // international shared cost
	"81":  "JP", "82": "KR", "84": "VN", "850": "KP", "852": "HK", "853": "MO",
	"855": "KH", "856": "LA", "86": "CN",
	"870": nonGeographic, // Inmarsat
	"878": nonGeographic, // universal personal telecommunications
	"880": "BD",
	"881": nonGeographic, // global mobile satellite systems
	"882": nonGeographic, // international networks
	"883": nonGeographic, // international networks
	"886": "TW",
	"888": nonGeographic, // humanitarian telecommunications (OCHA)
	// Zone 9: West, Central and South Asia.
	"90": "TR", "91": "IN", "92": "PK", "93": "AF", "94": "LK", "95": "MM",
	"960": "MV", "961": "LB", "962": "JO", "963": "SY", "964": "IQ", "965": "KW",
	"966": "SA", "967": "YE", "968": "OM", "970": "PS", "971": "AE", "972": "IL",
	"973": "BH", "974": "QA", "975": "BT", "976": "MN", "977": "NP",
	"979": nonGeographic, // international premium rate
	"98":  "IR", "992": "TJ", "993": "TM", "994": "AZ", "995": "GE", "996": "KG",
	"998": "UZ",
}

// sharedPrefixes maps prefixes inside a shared calling code (the digits
// after the +, the calling code included) to the region they belong to;
// the longest prefix wins over the calling code's own region.
var sharedPrefixes = map[string]string{
	// NANP area codes of Canada, geographic and non-geographic (600, 622).
	"1204": "CA", "1226": "CA", "1236": "CA", "1249": "CA", "1250": "CA", "1257": "CA",
	"1263": "CA", "1289": "CA", "1306": "CA", "1343": "CA", "1354": "CA", "1365": "CA",
	"1367": "CA", "1368": "CA", "1382": "CA", "1387": "CA", "1403": "CA", "1416": "CA",
	"1418": "CA", "1428": "CA", "1431": "CA", "1437": "CA", "1438": "CA", "1450": "CA",
	"1468": "CA", "1474": "CA", "1506": "CA", "1514": "CA", "1519": "CA", "1548": "CA",
	"1579": "CA", "1581": "CA", "1584": "CA", "1587": "CA", "1600": "CA", "1604": "CA",
	"1613": "CA", "1622": "CA", "1639": "CA", "1647": "CA", "1672": "CA", "1683": "CA",
	"1705": "CA", "1709": "CA", "1742": "CA", "1753": "CA", "1778": "CA", "1780": "CA",
	"1782": "CA", "1807": "CA", "1819": "CA", "1825": "CA", "1867": "CA", "1873": "CA",
	"1879": "CA", "1902": "CA", "1905": "CA", "1942": "CA",
	// NANP area codes of the Caribbean and the Pacific, including the US
	// territories that have ISO codes of their own.
	"1242": "BS", "1246": "BB", "1264": "AI", "1268": "AG", "1284": "VG", "1340": "VI",
	"1345": "KY", "1441": "BM", "1473": "GD", "1649": "TC", "1658": "JM", "1664": "MS",
	"1670": "MP", "1671": "GU", "1684": "AS", "1721": "SX", "1758": "LC", "1767": "DM",
	"1784": "VC", "1787": "PR", "1809": "DO", "1829": "DO", "1849": "DO", "1868": "TT",
	"1869": "KN", "1876": "JM", "1939": "PR",
	// +7: Kazakhstan's numbers start with 7 (and Baikonur's with 336 22).
	"77": "KZ", "733622": "KZ",
	// +262: Mayotte (fixed 269, mobile 639); the rest is Réunion.
	"262269": "YT", "262639": "YT",
	// +358 18: Åland.
	"35818": "AX",
	// +47 79: Svalbard and Jan Mayen.
	"4779": "SJ",
	// +599 3, 4, 7: Sint Eustatius, Saba, Bonaire; +599 9 is Curaçao.
	"5993": "BQ", "5994": "BQ", "5997": "BQ",
}

// sharedRegions are regions that have numbers but no prefix of their own
// in these tables: Country reports their numbers as the region named.
var sharedRegions = map[string]string{
	"GG": "GB", "JE": "GB", "IM": "GB",
	"BL": "GP", "MF": "GP",
	"CC": "AU", "CX": "AU",
	"EH": "MA",
	"TA": "SH",
	"PN": "NZ",
	"GS": "FK",
	"AQ": "NF",
}
