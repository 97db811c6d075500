"""Countries a donor can live in: ISO 3166-1 alpha-2 codes with their usual
English names (from the tz database's iso3166.tab, which is in the public
domain; a few names as donors look for them: United Kingdom, South Korea),
and how each country names the parts of a postal address."""

import json
from dataclasses import dataclass

NAMES = {
    "AD": "Andorra",
    "AE": "United Arab Emirates",
    "AF": "Afghanistan",
    "AG": "Antigua & Barbuda",
    "AI": "Anguilla",
    "AL": "Albania",
    "AM": "Armenia",
    "AO": "Angola",
    "AQ": "Antarctica",
    "AR": "Argentina",
    "AS": "American Samoa",
    "AT": "Austria",
    "AU": "Australia",
    "AW": "Aruba",
    "AX": "Åland Islands",
    "AZ": "Azerbaijan",
    "BA": "Bosnia & Herzegovina",
    "BB": "Barbados",
    "BD": "Bangladesh",
    "BE": "Belgium",
    "BF": "Burkina Faso",
    "BG": "Bulgaria",
    "BH": "Bahrain",
    "BI": "Burundi",
    "BJ": "Benin",
    "BL": "St Barthelemy",
    "BM": "Bermuda",
    "BN": "Brunei",
    "BO": "Bolivia",
    "BQ": "Caribbean NL",
    "BR": "Brazil",
    "BS": "Bahamas",
    "BT": "Bhutan",
    "BV": "Bouvet Island",
    "BW": "Botswana",
    "BY": "Belarus",
    "BZ": "Belize",
    "CA": "Canada",
    "CC": "Cocos (Keeling) Islands",
    "CD": "Congo (Dem. Rep.)",
    "CF": "Central African Rep.",
    "CG": "Congo (Rep.)",
    "CH": "Switzerland",
    "CI": "Côte d'Ivoire",
    "CK": "Cook Islands",
    "CL": "Chile",
    "CM": "Cameroon",
    "CN": "China",
    "CO": "Colombia",
    "CR": "Costa Rica",
    "CU": "Cuba",
    "CV": "Cape Verde",
    "CW": "Curaçao",
    "CX": "Christmas Island",
    "CY": "Cyprus",
    "CZ": "Czech Republic",
    "DE": "Germany",
    "DJ": "Djibouti",
    "DK": "Denmark",
    "DM": "Dominica",
    "DO": "Dominican Republic",
    "DZ": "Algeria",
    "EC": "Ecuador",
    "EE": "Estonia",
    "EG": "Egypt",
    "EH": "Western Sahara",
    "ER": "Eritrea",
    "ES": "Spain",
    "ET": "Ethiopia",
    "FI": "Finland",
    "FJ": "Fiji",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "FO": "Faroe Islands",
    "FR": "France",
    "GA": "Gabon",
    "GB": "United Kingdom",
    "GD": "Grenada",
    "GE": "Georgia",
    "GF": "French Guiana",
    "GG": "Guernsey",
    "GH": "Ghana",
    "GI": "Gibraltar",
    "GL": "Greenland",
    "GM": "Gambia",
    "GN": "Guinea",
    "GP": "Guadeloupe",
    "GQ": "Equatorial Guinea",
    "GR": "Greece",
    "GS": "South Georgia & the South Sandwich Islands",
    "GT": "Guatemala",
    "GU": "Guam",
    "GW": "Guinea-Bissau",
    "GY": "Guyana",
    "HK": "Hong Kong",
    "HM": "Heard Island & McDonald Islands",
    "HN": "Honduras",
    "HR": "Croatia",
    "HT": "Haiti",
    "HU": "Hungary",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IL": "Israel",
    "IM": "Isle of Man",
    "IN": "India",
    "IO": "British Indian Ocean Territory",
    "IQ": "Iraq",
    "IR": "Iran",
    "IS": "Iceland",
    "IT": "Italy",
    "JE": "Jersey",
    "JM": "Jamaica",
    "JO": "Jordan",
    "JP": "Japan",
    "KE": "Kenya",
    "KG": "Kyrgyzstan",
    "KH": "Cambodia",
    "KI": "Kiribati",
    "KM": "Comoros",
    "KN": "St Kitts & Nevis",
    "KP": "North Korea",
    "KR": "South Korea",
    "KW": "Kuwait",
    "KY": "Cayman Islands",
    "KZ": "Kazakhstan",
    "LA": "Laos",
    "LB": "Lebanon",
    "LC": "St Lucia",
    "LI": "Liechtenstein",
    "LK": "Sri Lanka",
    "LR": "Liberia",
    "LS": "Lesotho",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "LY": "Libya",
    "MA": "Morocco",
    "MC": "Monaco",
    "MD": "Moldova",
    "ME": "Montenegro",
    "MF": "St Martin (French)",
    "MG": "Madagascar",
    "MH": "Marshall Islands",
    "MK": "North Macedonia",
    "ML": "Mali",
    "MM": "Myanmar (Burma)",
    "MN": "Mongolia",
    "MO": "Macau",
    "MP": "Northern Mariana Islands",
    "MQ": "Martinique",
    "MR": "Mauritania",
    "MS": "Montserrat",
    "MT": "Malta",
    "MU": "Mauritius",
    "MV": "Maldives",
    "MW": "Malawi",
    "MX": "Mexico",
    "MY": "Malaysia",
    "MZ": "Mozambique",
    "NA": "Namibia",
    "NC": "New Caledonia",
    "NE": "Niger",
    "NF": "Norfolk Island",
    "NG": "Nigeria",
    "NI": "Nicaragua",
    "NL": "Netherlands",
    "NO": "Norway",
    "NP": "Nepal",
    "NR": "Nauru",
    "NU": "Niue",
    "NZ": "New Zealand",
    "OM": "Oman",
    "PA": "Panama",
    "PE": "Peru",
    "PF": "French Polynesia",
    "PG": "Papua New Guinea",
    "PH": "Philippines",
    "PK": "Pakistan",
    "PL": "Poland",
    "PM": "St Pierre & Miquelon",
    "PN": "Pitcairn",
    "PR": "Puerto Rico",
    "PS": "Palestine",
    "PT": "Portugal",
    "PW": "Palau",
    "PY": "Paraguay",
    "QA": "Qatar",
    "RE": "Réunion",
    "RO": "Romania",
    "RS": "Serbia",
    "RU": "Russia",
    "RW": "Rwanda",
    "SA": "Saudi Arabia",
    "SB": "Solomon Islands",
    "SC": "Seychelles",
    "SD": "Sudan",
    "SE": "Sweden",
    "SG": "Singapore",
    "SH": "St Helena",
    "SI": "Slovenia",
    "SJ": "Svalbard & Jan Mayen",
    "SK": "Slovakia",
    "SL": "Sierra Leone",
    "SM": "San Marino",
    "SN": "Senegal",
    "SO": "Somalia",
    "SR": "Suriname",
    "SS": "South Sudan",
    "ST": "Sao Tome & Principe",
    "SV": "El Salvador",
    "SX": "St Maarten (Dutch)",
    "SY": "Syria",
    "SZ": "Eswatini (Swaziland)",
    "TC": "Turks & Caicos Is",
    "TD": "Chad",
    "TF": "French S. Terr.",
    "TG": "Togo",
    "TH": "Thailand",
    "TJ": "Tajikistan",
    "TK": "Tokelau",
    "TL": "East Timor",
    "TM": "Turkmenistan",
    "TN": "Tunisia",
    "TO": "Tonga",
    "TR": "Turkey",
    "TT": "Trinidad & Tobago",
    "TV": "Tuvalu",
    "TW": "Taiwan",
    "TZ": "Tanzania",
    "UA": "Ukraine",
    "UG": "Uganda",
    "UM": "US minor outlying islands",
    "US": "United States",
    "UY": "Uruguay",
    "UZ": "Uzbekistan",
    "VA": "Vatican City",
    "VC": "St Vincent",
    "VE": "Venezuela",
    "VG": "Virgin Islands (UK)",
    "VI": "Virgin Islands (US)",
    "VN": "Vietnam",
    "VU": "Vanuatu",
    "WF": "Wallis & Futuna",
    "WS": "Samoa",
    "YE": "Yemen",
    "YT": "Mayotte",
    "ZA": "South Africa",
    "ZM": "Zambia",
    "ZW": "Zimbabwe",
}


@dataclass(frozen=True)
class AddressLabels:
    region: str
    postal_code: str


# The words a donor of each country expects on an address form; countries
# not listed get the general ones.
ADDRESS_LABELS = {
    "US": AddressLabels(region="State", postal_code="ZIP code"),
    "CA": AddressLabels(region="Province", postal_code="Postal code"),
    "GB": AddressLabels(region="County (optional)", postal_code="Postcode"),
    "IE": AddressLabels(region="County", postal_code="Eircode"),
    "AU": AddressLabels(region="State or territory", postal_code="Postcode"),
    "NZ": AddressLabels(region="Region (optional)", postal_code="Postcode"),
}
GENERAL_LABELS = AddressLabels(region="Region (optional)", postal_code="Postal code")
# The country a campaign's donors mostly live in, by the currency it takes;
# the donate form opens on it.
DEFAULT_FOR_CURRENCY = {"usd": "US", "cad": "CA", "gbp": "GB", "aud": "AU"}


# Where a postal address needs its region (a US address its state) and where
# it has no postal code at all: what a campaign whose receipts need the
# donor's address (Campaign.donor_address_required) asks for.
REGION_REQUIRED = frozenset({"US", "CA", "AU", "IE"})
# Countries with no postal code system (after the UPU's list and the
# address formats card networks accept); every other one needs a code.
NO_POSTAL_CODE = frozenset(
    {
        "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI", "CK",
        "CM", "CW", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "KI", "KM", "KN",
        "KP", "LY", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL", "SR", "SS", "ST",
        "SY", "TD", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW",
    }
)  # fmt: skip
# The parts of an address a receipt that needs one must have, in form order.
REQUIRED_ADDRESS_PARTS = ("line1", "city", "region", "postal_code", "country")


def required_address_parts(code: str) -> tuple[str, ...]:
    """The parts of a receipt's address a donor in `code` must give: the
    street, the city and the country always; the region where letters need
    it; the postal code unless the country has none (and while no country
    is chosen, since most have one)."""
    code = code.upper()
    return tuple(
        part
        for part in REQUIRED_ADDRESS_PARTS
        if (part != "region" or code in REGION_REQUIRED) and (part != "postal_code" or code not in NO_POSTAL_CODE)
    )


def address_rules_json() -> str:
    """REGION_REQUIRED and NO_POSTAL_CODE for the donate form's script, which
    marks the region and postal code required as the donor picks a country."""
    return json.dumps({"region": sorted(REGION_REQUIRED), "noPostalCode": sorted(NO_POSTAL_CODE)})


def address_labels(code: str) -> AddressLabels:
    return ADDRESS_LABELS.get(code.upper(), GENERAL_LABELS)


def by_name() -> list[tuple[str, str]]:
    """(code, name) pairs in the order a person looks for their country."""
    return sorted(NAMES.items(), key=lambda item: item[1])


def labels_json() -> str:
    """ADDRESS_LABELS for the donate form's script, which relabels the
    address as the donor picks a country ("*": every other country)."""
    labels = {**ADDRESS_LABELS, "*": GENERAL_LABELS}
    return json.dumps({code: [label.region, label.postal_code] for code, label in labels.items()})
