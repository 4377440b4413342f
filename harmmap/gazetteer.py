"""Admin names across spellings and scripts; boundaries; point-in-polygon.

Canonical oblast (admin1) names are short English names as Ukraine romanises them today
("Kharkiv", "Zaporizhzhia", "Odesa", "Kyiv City"). ``display_name`` adds "Oblast" where it belongs.
"""

from __future__ import annotations

# canonical name -> ISO 3166-2 code (as in geoBoundaries shapeISO)
OBLASTS: dict[str, str] = {
    "Cherkasy": "UA-71", "Chernihiv": "UA-74", "Chernivtsi": "UA-77", "Crimea": "UA-43",
    "Dnipropetrovsk": "UA-12", "Donetsk": "UA-14", "Ivano-Frankivsk": "UA-26", "Kharkiv": "UA-63",
    "Kherson": "UA-65", "Khmelnytskyi": "UA-68", "Kirovohrad": "UA-35", "Kyiv": "UA-32",
    "Kyiv City": "UA-30", "Luhansk": "UA-09", "Lviv": "UA-46", "Mykolaiv": "UA-48", "Odesa": "UA-51",
    "Poltava": "UA-53", "Rivne": "UA-56", "Sevastopol": "UA-40", "Sumy": "UA-59", "Ternopil": "UA-61",
    "Vinnytsia": "UA-05", "Volyn": "UA-07", "Zakarpattia": "UA-21", "Zaporizhzhia": "UA-23",
    "Zhytomyr": "UA-18",
}
ISO_TO_OBLAST = {v: k for k, v in OBLASTS.items()}


def display_name(admin1: str) -> str:
    """'Kharkiv' -> 'Kharkiv Oblast'; 'Kyiv City', 'Crimea', 'Sevastopol' stay as they are."""
    if admin1 in ("Kyiv City", "Sevastopol"):
        return admin1
    if admin1 == "Crimea":
        return "Autonomous Republic of Crimea"
    return f"{admin1} Oblast" if admin1 in OBLASTS else admin1
