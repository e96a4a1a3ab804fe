"""Writes a synthetic restricted-party list in the US Consolidated Screening List's CSV layout,
for the screening benchmark (bench/screening): invented names only, deterministic for a seed.

    python3 bench/screening/gen_list.py 20000 > /tmp/csl-20000.csv

Individuals get a given name, sometimes a middle name, and a surname from syllables, and aliases
the way the lists write them (LAST, First; another transliteration; a Cyrillic spelling);
organisations get two or three words, often a generic word, a legal form, and aliases with
another legal form or the words reordered.
"""

from __future__ import annotations

import csv
import random
import sys

COLUMNS = ["_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
           "federal_register_notice", "start_date", "end_date", "standard_order",
           "license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
           "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks", "source_list_url",
           "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
           "source_information_url", "ids"]
SOURCES = ["Specially Designated Nationals (SDN) - Treasury Department",
           "Entity List (EL) - Bureau of Industry and Security",
           "Denied Persons List (DPL) - Bureau of Industry and Security",
           "Military End User (MEU) List - Bureau of Industry and Security"]
ONSETS = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "kh", "sh", "ch", "zh",
          "br", "dr", "gr", "kr", "tr", "st"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou"]
CODAS = ["", "", "n", "r", "l", "s", "k", "m", "v", "ch"]
GENERIC = ["International", "Group", "Trading", "Holdings", "Industries", "Technologies",
           "Services", "Global", "Energy", "Shipping", "Investment", "Bank"]
FORMS = ["LLC", "Ltd", "Limited", "GmbH", "OOO", "Co., Ltd.", "JSC", "S.A.", "Corp.", "FZE"]
COUNTRIES = ["RU", "IR", "KP", "SY", "CN", "BY", "VE", "CU", "AE", "TR", "HK", "LB", "YE", "MM"]
CYRILLIC = {"shch": "щ", "kh": "х", "sh": "ш", "ch": "ч", "zh": "ж", "ts": "ц", "yu": "ю",
            "ya": "я", "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з",
            "i": "и", "y": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
            "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф"}


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                   for _ in range(syllables)).capitalize()


def cyrillic(text: str) -> str:
    out, i = [], 0
    lower = text.lower()
    while i < len(lower):
        for n in (4, 2, 1):
            piece = lower[i:i + n]
            if piece in CYRILLIC:
                out.append(CYRILLIC[piece])
                i += n
                break
        else:
            out.append(lower[i])
            i += 1
    return "".join(out).title()


def party(rng: random.Random, n: int) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    row["_id"] = row["entity_number"] = str(100000 + n)
    row["source"] = rng.choice(SOURCES)
    row["programs"] = rng.choice(["RUSSIA-EO14024", "IRAN", "SDGT", "DPRK3", "CUBA", ""])
    country = rng.choice(COUNTRIES)
    aliases = []
    if rng.random() < 0.55:
        row["type"] = "Individual"
        given, surname = word(rng, rng.randint(1, 3)), word(rng, rng.randint(2, 3))
        middle = word(rng, 2) if rng.random() < 0.4 else ""
        row["name"] = " ".join(x for x in (given, middle, surname.upper()) if x)
        aliases.append(f"{surname.upper()}, {given}")
        if rng.random() < 0.5:
            aliases.append(f"{given} {surname[:-1]}{rng.choice('aeiouy')}")
        if rng.random() < 0.3:
            aliases.append(cyrillic(f"{given} {surname}"))
        row["citizenships"] = country
        row["dates_of_birth"] = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
    else:
        row["type"] = "Entity"
        words = [word(rng, rng.randint(2, 3)) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.6:
            words.append(rng.choice(GENERIC))
        form = rng.choice(FORMS)
        row["name"] = " ".join(words + [form])
        aliases.append(" ".join(words + [rng.choice(FORMS)]))
        if rng.random() < 0.4:
            aliases.append(" ".join(reversed(words)))
        row["addresses"] = f"{rng.randint(1, 99)} {word(rng, 2)} Street, {word(rng, 2)}, {country}"
    row["alt_names"] = "; ".join(aliases)
    row["start_date"] = f"20{rng.randint(10, 25):02}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
    return row


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rng = random.Random(13984)
    out = csv.DictWriter(sys.stdout, COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")
    out.writeheader()
    for n in range(count):
        out.writerow(party(rng, n))


if __name__ == "__main__":
    main()
