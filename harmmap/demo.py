"""Deterministic generator of the synthetic demo data set ("Synthetic demo data").

Every incident here is invented. Real town names and coordinates (``data/demo/towns.csv``) anchor
the points; dates, targets, casualties and texts are drawn from a seeded numpy Generator, so the
same ``n`` and ``seed`` give the same rows and, once written, the same bytes. Nothing depends on
the clock, the locale or hash ordering.

The data carry patterns an analyst should find; they are listed in :data:`PLANTED` (and in
``data/demo/README.md``) so that tests and the Patterns page can check they are found:

* ``energy_wave``: on single days (autumn-winter 2022-23, spring-summer 2024) energy facilities
  are hit in 12 or more oblasts;
* ``spike``: Sumy oblast, four weeks of March 2024 at five times its baseline;
* ``repeated_site``: a handful of sites hit again and again within 150 m over weeks, some twice
  on the same day a few hours apart;
* ``hotspot``: a dense cluster in Nikopol (shelled across the Kakhovka reservoir) in 2023.

Example
-------
>>> from harmmap import demo
>>> gdf = demo.generate(n=2000, seed=1)
>>> len(gdf), gdf["source"].iat[0]
(2000, 'demo')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from harmmap import gazetteer, schema
from harmmap.gazetteer import OBLASTS, display_name

__all__ = ["SYNTHETIC_NOTE", "SOURCE", "DATASET", "DEFAULT_N", "DEFAULT_SEED", "START", "END", "PLANTED",
           "Planted", "generate", "write", "build_store", "ensure_demo_store", "load_towns", "planted"]

SYNTHETIC_NOTE = "Synthetic demo data"
SOURCE = "demo"
DATASET = "demo"
DEFAULT_N = 25_000
DEFAULT_SEED = 20220224
START = dt.date(2022, 2, 24)
END = dt.date(2025, 6, 30)
TOWNS_CSV = gazetteer.TOWNS_CSV
URL_PREFIX = "https://example.org/harmmap-demo/"
#: below this many rows no pattern is planted (the rows would swamp the background)
MIN_N_FOR_PATTERNS = 2000
#: a demo larger than this is made in parts of this many rows (one part needs ~2.7 GB while it is built)
PART_N = 1_000_000

ProgressFn = Callable[[float, str], None]

# --------------------------------------------------------------------------------------------
# Planted patterns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """One pattern planted in the demo data.

    ``kind`` is ``energy_wave``, ``spike``, ``repeated_site`` or ``hotspot``. ``dates`` holds the
    wave's day, the (first, last) day of a spike or hot spot, or every strike day of a site (with
    ``times`` alongside). ``site`` is (lat, lon) of a repeated site or a hot spot's centre.
    """

    kind: str
    label: str
    dates: tuple[dt.date, ...]
    oblasts: tuple[str, ...]
    categories: tuple[str, ...]
    site: tuple[float, float] | None = None
    radius_m: float | None = None
    factor: float | None = None
    times: tuple[str, ...] = ()


_D = dt.date.fromisoformat

WAVE_DAYS = tuple(_D(s) for s in (
    "2022-10-10", "2022-10-22", "2022-10-31", "2022-11-15", "2022-11-23", "2022-12-05", "2022-12-16",
    "2022-12-29", "2023-01-14", "2023-01-26", "2023-02-10", "2023-03-09",
    "2024-03-22", "2024-03-29", "2024-04-11", "2024-05-08", "2024-06-01", "2024-06-20", "2024-08-26"))

# oblasts that energy waves reach, with how often (relative) they are in a wave
_WAVE_OBLASTS = (
    ("Kyiv City", 10), ("Kyiv", 8), ("Kharkiv", 9), ("Lviv", 8), ("Odesa", 8), ("Dnipropetrovsk", 8),
    ("Zaporizhzhia", 7), ("Vinnytsia", 6), ("Khmelnytskyi", 5), ("Rivne", 5), ("Ivano-Frankivsk", 5),
    ("Poltava", 5), ("Kirovohrad", 5), ("Cherkasy", 5), ("Zhytomyr", 5), ("Mykolaiv", 5), ("Volyn", 4),
    ("Ternopil", 4), ("Chernihiv", 4), ("Sumy", 4), ("Kherson", 3), ("Zakarpattia", 2), ("Chernivtsi", 2))


def _wave_oblasts() -> list[tuple[str, ...]]:
    # Fixed (independent of the user's seed) so that PLANTED is a constant.
    rng = np.random.default_rng(20221010)
    names = [o for o, w in _WAVE_OBLASTS if w > 0]
    w = np.array([w for _, w in _WAVE_OBLASTS if w > 0], dtype=float)
    out = []
    for _ in WAVE_DAYS:
        k = int(rng.integers(13, 19))
        pick = rng.choice(len(names), size=k, replace=False, p=w / w.sum())
        out.append(tuple(sorted(names[i] for i in pick)))
    return out


SPIKE = Planted("spike", "Sumy oblast: four weeks at five times its baseline (March 2024)",
                (_D("2024-03-04"), _D("2024-03-31")), ("Sumy",), (), factor=5.0)

HOTSPOT = Planted("hotspot", "Nikopol: dense shelling cluster (April-September 2023)",
                  (_D("2023-04-01"), _D("2023-09-30")), ("Dnipropetrovsk",),
                  ("residential", "energy", "gas_heating", "commercial"),
                  site=(47.5780, 34.3900), radius_m=1200.0)
HOTSPOT_SHARE = 0.012   # of n

# site label, oblast, town, (lat, lon), category, strikes as "YYYY-MM-DD HH:MM"
_SITES = (
    ("Grain terminal, port of Izmail (synthetic site)", "Odesa", "Izmail", (45.3445, 28.8440), "food_agriculture",
     ("2023-07-24 03:10", "2023-08-02 02:40", "2023-08-16 04:05", "2023-08-16 06:30", "2023-08-24 01:55",
      "2023-09-04 03:20", "2023-09-13 02:15", "2023-09-26 04:45")),
    ("City hospital, Kharkiv (synthetic site)", "Kharkiv", "Kharkiv", (50.0121, 36.2440), "health",
     ("2022-03-02 10:20", "2022-03-09 15:45", "2022-03-17 08:30", "2022-03-17 11:05", "2022-03-28 13:10",
      "2022-04-08 09:40", "2022-04-19 16:25")),
    ("Power substation near Kryvyi Rih (synthetic site)", "Dnipropetrovsk", "Kryvyi Rih", (47.9300, 33.3600),
     "energy",
     ("2022-10-10 07:05", "2022-10-31 07:40", "2022-11-15 15:20", "2022-11-15 17:50", "2022-12-16 06:35",
      "2023-01-14 11:10")),
    ("School, Kherson (synthetic site)", "Kherson", "Kherson", (46.6490, 32.6000), "education",
     ("2023-01-05 12:15", "2023-01-19 09:30", "2023-02-02 14:40", "2023-02-15 10:05", "2023-02-15 13:35",
      "2023-03-01 11:50", "2023-03-10 15:15")),
    ("Water pumping station, Mykolaiv (synthetic site)", "Mykolaiv", "Mykolaiv", (46.9620, 32.0400), "water",
     ("2022-04-12 05:30", "2022-04-26 22:10", "2022-05-09 04:45", "2022-05-24 23:40", "2022-06-07 03:15",
      "2022-06-07 05:05", "2022-06-20 01:30")),
)
SITE_JITTER_M = 40.0   # every strike within 40 m of the site: pairwise < 80 m


def _build_planted() -> tuple[Planted, ...]:
    out = [Planted("energy_wave", f"Energy wave {d.isoformat()}", (d,), obl, ("energy",))
           for d, obl in zip(WAVE_DAYS, _wave_oblasts(), strict=True)]
    out.append(SPIKE)
    for label, obl, _town, site, cat, strikes in _SITES:
        out.append(Planted("repeated_site", label, tuple(_D(s[:10]) for s in strikes), (obl,), (cat,),
                           site=site, radius_m=150.0, times=tuple(s[11:] for s in strikes)))
    out.append(HOTSPOT)
    return tuple(out)


#: Every planted pattern (constant: does not depend on ``n`` or ``seed``; present when
#: ``n >= MIN_N_FOR_PATTERNS``).
PLANTED: tuple[Planted, ...] = _build_planted()


def planted(kind: str | None = None) -> list[Planted]:
    """The planted patterns, optionally of one ``kind``.

    Example
    -------
    >>> len(planted("energy_wave")) >= 10
    True
    """
    return [p for p in PLANTED if kind is None or p.kind == kind]


# --------------------------------------------------------------------------------------------
# Intensity model: oblast x phase weights (relative incidents per day)
# --------------------------------------------------------------------------------------------

_PHASES = (_D("2022-02-24"), _D("2022-04-07"), _D("2022-09-01"), _D("2023-04-01"), _D("2024-01-01"),
           _D("2024-09-01"))
# invasion north | Donbas offensive | counteroffensives, energy campaign | 2023 | 2024 H1-summer | late 2024-25
_OBLAST_WEIGHTS = {
    "Donetsk": (10, 14, 12, 12, 12, 12),
    "Kharkiv": (14, 12, 9, 7, 10, 8),
    "Kherson": (6, 5, 8, 9, 7, 7),
    "Zaporizhzhia": (3, 5, 7, 8, 8, 8),
    "Dnipropetrovsk": (2, 4, 6, 6, 6, 7),
    "Mykolaiv": (6, 7, 5, 2.5, 2, 2),
    "Sumy": (9, 3, 4, 5, 6, 8),
    "Luhansk": (6, 8, 1.5, 0.6, 0.5, 0.4),
    "Kyiv": (20, 0.8, 1.2, 1, 1, 1.3),
    "Kyiv City": (8, 0.5, 1.2, 1, 1, 1.4),
    "Chernihiv": (16, 1.2, 1.2, 1.2, 1.5, 1.8),
    "Odesa": (1.5, 2, 1.5, 2.5, 2.5, 2.5),
    "Zhytomyr": (4, 0.4, 0.4, 0.4, 0.5, 0.6),
    "Poltava": (0.6, 0.5, 0.6, 0.5, 0.7, 0.8),
    "Vinnytsia": (0.5, 0.4, 0.4, 0.3, 0.4, 0.4),
    "Cherkasy": (0.3, 0.3, 0.4, 0.4, 0.4, 0.4),
    "Kirovohrad": (0.3, 0.3, 0.4, 0.3, 0.4, 0.4),
    "Lviv": (0.3, 0.3, 0.3, 0.2, 0.3, 0.3),
    "Rivne": (0.3, 0.2, 0.2, 0.15, 0.2, 0.25),
    "Volyn": (0.2, 0.15, 0.15, 0.1, 0.15, 0.15),
    "Khmelnytskyi": (0.3, 0.2, 0.3, 0.3, 0.3, 0.3),
    "Ternopil": (0.15, 0.15, 0.15, 0.1, 0.15, 0.15),
    "Ivano-Frankivsk": (0.2, 0.15, 0.15, 0.1, 0.2, 0.2),
    "Chernivtsi": (0.1, 0.08, 0.08, 0.06, 0.08, 0.08),
    "Zakarpattia": (0.05, 0.04, 0.05, 0.04, 0.04, 0.05),
    "Crimea": (0.05, 0.08, 0.15, 0.15, 0.15, 0.1),
    "Sevastopol": (0.03, 0.05, 0.1, 0.1, 0.1, 0.08),
}
#: front-line oblasts (artillery, MLRS, guided bombs, FPV drones; the rest mostly missiles and drones)
FRONT = ("Dnipropetrovsk", "Donetsk", "Kharkiv", "Kherson", "Luhansk", "Mykolaiv", "Sumy", "Zaporizhzhia")
_NORTH_2022 = ("Chernihiv", "Kyiv", "Kyiv City", "Zhytomyr")   # front line until early April 2022

OBLAST_NAMES = tuple(sorted(OBLASTS))

# --------------------------------------------------------------------------------------------
# Categories, weapons, texts
# --------------------------------------------------------------------------------------------

CATEGORIES = ("residential", "energy", "education", "health", "transport", "commercial", "industrial",
              "food_agriculture", "water", "gas_heating", "cultural_religious", "administrative",
              "recreation", "humanitarian", "unclassified")
_C = {c: i for i, c in enumerate(CATEGORIES)}
UNCL = _C["unclassified"]
# primary-category mix: front-line / rear, and energy's winter boost
_CAT_P_FRONT = (40, 6, 6, 4, 7, 7, 5, 5, 2.5, 3, 2, 3, 1.5, 1.5, 7)
_CAT_P_REAR = (33, 16, 5, 3.5, 8, 7, 6, 3, 2.5, 4, 2, 2.5, 1, 1, 6)
# secondary category (multi-label) given the primary is residential / anything else
_SECOND_OF_RESIDENTIAL = {"education": 25, "commercial": 20, "transport": 15, "health": 10, "energy": 10,
                          "gas_heating": 10, "cultural_religious": 5, "recreation": 5}
MULTI_SHARE = 0.12

# weapon: label, event_type, EN noun, EN "with ...", EN "by ...", UK gen, UK headline, UK used (acc),
#         RU gen, RU headline, RU used (acc)
_SHELL = "Shelling/artillery/missile attack"
_AIR = "Air/drone strike"
WEAPONS = (
    ("missile", _SHELL, "missile strike", "missiles", "a missile",
     "ракетного удару", "ракетний удар", "ракети",
     "ракетного удара", "ракетный удар", "ракеты"),
    ("drone (Shahed)", _AIR, "Shahed drone attack", "Shahed drones", "a Shahed drone",
     "атаки дронів-камікадзе", "удар дронів-камікадзе", "ударні дрони «Шахед»",
     "атаки дронов-камикадзе", "удар дронов-камикадзе", "ударные дроны «Шахед»"),
    ("artillery", _SHELL, "artillery shelling", "artillery", "artillery fire",
     "артилерійського обстрілу", "артилерійський удар", "артилерію",
     "артиллерийского обстрела", "артиллерийский удар", "артиллерию"),
    ("MLRS", _SHELL, "MLRS attack", "multiple rocket launchers", "MLRS fire",
     "обстрілу з РСЗВ", "удар РСЗВ", "РСЗВ",
     "обстрела из РСЗО", "удар РСЗО", "РСЗО"),
    ("guided aerial bomb", _AIR, "guided aerial bomb strike", "a guided aerial bomb", "a guided aerial bomb",
     "удару керованою авіабомбою", "удар КАБ", "керовану авіабомбу",
     "удара управляемой авиабомбой", "удар КАБ", "управляемую авиабомбу"),
    ("FPV drone", _AIR, "FPV drone strike", "an FPV drone", "an FPV drone",
     "удару FPV-дрона", "удар FPV-дрона", "FPV-дрон",
     "удара FPV-дрона", "удар FPV-дрона", "FPV-дрон"),
    ("mortar", _SHELL, "mortar attack", "mortars", "mortar fire",
     "мінометного обстрілу", "мінометний удар", "міномети",
     "минометного обстрела", "минометный удар", "минометы"),
)
_W = {w[0]: i for i, w in enumerate(WEAPONS)}
# the English noun with its article, as in "as a result of a missile strike"
_EN_ART = ("a missile strike", "a Shahed drone attack", "artillery shelling", "an MLRS attack",
           "a guided aerial bomb strike", "an FPV drone strike", "a mortar attack")
# weapon mix (missile, drone, artillery, MLRS, KAB, FPV, mortar) by (front?, year bucket)
_WEAPON_P = {
    ("front", 0): (18, 4, 40, 22, 3, 0, 13),
    ("front", 1): (10, 8, 35, 15, 12, 13, 7),
    ("front", 2): (8, 14, 25, 10, 18, 20, 5),
    ("rear", 0): (70, 25, 4, 1, 0, 0, 0),
    ("rear", 1): (45, 55, 0, 0, 0, 0, 0),
    ("rear", 2): (42, 58, 0, 0, 0, 0, 0),
}

# target terms per category: EN phrase, EN plural?, UK accusative, UK locative (after "по"),
#                            RU nominative, RU dative (after "по"), RU gender (m f n p)
TERMS: dict[str, tuple[tuple[str, bool, str, str, str, str, str], ...]] = {
    "education": (
        ("a school", False, "школу", "школі", "школа", "школе", "f"),
        ("a kindergarten", False, "дитячий садок", "дитячому садку", "детский сад", "детскому саду", "m"),
        ("a lyceum", False, "ліцей", "ліцею", "лицей", "лицею", "m"),
        ("a university building", False, "корпус університету", "корпусу університету",
         "корпус университета", "корпусу университета", "m"),
        ("a college", False, "коледж", "коледжу", "колледж", "колледжу", "m"),
    ),
    "health": (
        ("a hospital", False, "лікарню", "лікарні", "больница", "больнице", "f"),
        ("a maternity ward", False, "пологове відділення", "пологовому відділенні",
         "родильное отделение", "родильному отделению", "n"),
        ("a polyclinic", False, "поліклініку", "поліклініці", "поликлиника", "поликлинике", "f"),
        ("an ambulance", False, "автомобіль швидкої допомоги", "автомобілю швидкої допомоги",
         "автомобиль скорой помощи", "автомобилю скорой помощи", "m"),
        ("a pharmacy", False, "аптеку", "аптеці", "аптека", "аптеке", "f"),
    ),
    "residential": (
        ("an apartment block", False, "багатоповерховий житловий будинок", "багатоповерховому житловому будинку",
         "многоэтажный жилой дом", "многоэтажному жилому дому", "m"),
        ("a residential building", False, "житловий будинок", "житловому будинку", "жилой дом", "жилому дому", "m"),
        ("private houses", True, "приватні будинки", "приватних будинках", "частные дома", "частным домам", "p"),
        ("a private house", False, "приватний будинок", "приватному будинку", "частный дом", "частному дому", "m"),
        ("a dormitory", False, "гуртожиток", "гуртожитку", "общежитие", "общежитию", "n"),
        ("a residential quarter", False, "житловий квартал", "житловому кварталу", "жилой квартал",
         "жилому кварталу", "m"),
    ),
    "energy": (
        ("a power substation", False, "електропідстанцію", "електропідстанції", "электроподстанция",
         "электроподстанции", "f"),
        ("a thermal power plant", False, "теплову електростанцію", "тепловій електростанції",
         "тепловая электростанция", "тепловой электростанции", "f"),
        ("energy infrastructure", False, "енергетичну інфраструктуру", "енергетичній інфраструктурі",
         "энергетическая инфраструктура", "энергетической инфраструктуре", "f"),
        ("power lines", True, "лінії електропередачі", "лініях електропередачі", "линии электропередачи",
         "линиям электропередачи", "p"),
        ("a hydroelectric power plant", False, "гідроелектростанцію", "гідроелектростанції",
         "гидроэлектростанция", "гидроэлектростанции", "f"),
    ),
    "water": (
        ("a water pumping station", False, "водонасосну станцію", "водонасосній станції",
         "водонасосная станция", "водонасосной станции", "f"),
        ("water treatment facilities", True, "очисні споруди", "очисних спорудах", "очистные сооружения",
         "очистным сооружениям", "p"),
        ("a water main", False, "водогін", "водогону", "водопровод", "водопроводу", "m"),
        ("a water utility facility", False, "об'єкт водоканалу", "об'єкту водоканалу", "объект водоканала",
         "объекту водоканала", "m"),
    ),
    "gas_heating": (
        ("a gas pipeline", False, "газопровід", "газопроводу", "газопровод", "газопроводу", "m"),
        ("a boiler house", False, "котельню", "котельні", "котельная", "котельной", "f"),
        ("a gas distribution station", False, "газорозподільну станцію", "газорозподільній станції",
         "газораспределительная станция", "газораспределительной станции", "f"),
        ("heating mains", True, "тепломережі", "тепломережах", "теплосети", "теплосетям", "p"),
    ),
    "transport": (
        ("a railway station", False, "залізничний вокзал", "залізничному вокзалу", "железнодорожный вокзал",
         "железнодорожному вокзалу", "m"),
        ("a bridge", False, "міст", "мосту", "мост", "мосту", "m"),
        ("a bus", False, "автобус", "автобусу", "автобус", "автобусу", "m"),
        ("a fuel station", False, "автозаправну станцію", "автозаправній станції", "автозаправочная станция",
         "автозаправочной станции", "f"),
        ("railway tracks", True, "залізничні колії", "залізничних коліях", "железнодорожные пути",
         "железнодорожным путям", "p"),
        ("port infrastructure", False, "портову інфраструктуру", "портовій інфраструктурі",
         "портовая инфраструктура", "портовой инфраструктуре", "f"),
    ),
    "commercial": (
        ("a shopping centre", False, "торговельний центр", "торговельному центру", "торговый центр",
         "торговому центру", "m"),
        ("a market", False, "ринок", "ринку", "рынок", "рынку", "m"),
        ("a shop", False, "магазин", "магазину", "магазин", "магазину", "m"),
        ("a supermarket", False, "супермаркет", "супермаркету", "супермаркет", "супермаркету", "m"),
        ("a hotel", False, "готель", "готелю", "гостиница", "гостинице", "f"),
        ("a café", False, "кафе", "кафе", "кафе", "кафе", "n"),
        ("an office building", False, "офісну будівлю", "офісній будівлі", "офисное здание", "офисному зданию",
         "n"),
    ),
    "industrial": (
        ("a factory", False, "завод", "заводу", "завод", "заводу", "m"),
        ("an industrial enterprise", False, "промислове підприємство", "промисловому підприємстві",
         "промышленное предприятие", "промышленному предприятию", "n"),
        ("a warehouse", False, "склад", "складу", "склад", "складу", "m"),
        ("an oil depot", False, "нафтобазу", "нафтобазі", "нефтебаза", "нефтебазе", "f"),
    ),
    "food_agriculture": (
        ("a grain elevator", False, "елеватор", "елеватору", "элеватор", "элеватору", "m"),
        ("a grain storage facility", False, "зерносховище", "зерносховищі", "зернохранилище", "зернохранилищу",
         "n"),
        ("a farm", False, "фермерське господарство", "фермерському господарстві", "фермерское хозяйство",
         "фермерскому хозяйству", "n"),
        ("agricultural machinery", False, "сільськогосподарську техніку", "сільськогосподарській техніці",
         "сельскохозяйственная техника", "сельскохозяйственной технике", "f"),
        ("a bakery", False, "пекарню", "пекарні", "пекарня", "пекарне", "f"),
        ("a grain terminal", False, "зерновий термінал", "зерновому терміналу", "зерновой терминал",
         "зерновому терминалу", "m"),
    ),
    "cultural_religious": (
        ("a church", False, "церкву", "церкві", "церковь", "церкви", "f"),
        ("a museum", False, "музей", "музею", "музей", "музею", "m"),
        ("a library", False, "бібліотеку", "бібліотеці", "библиотека", "библиотеке", "f"),
        ("a house of culture", False, "будинок культури", "будинку культури", "дом культуры", "дому культуры", "m"),
        ("a theatre", False, "театр", "театру", "театр", "театру", "m"),
    ),
    "administrative": (
        ("the city council building", False, "будівлю міської ради", "будівлі міської ради",
         "здание городского совета", "зданию городского совета", "n"),
        ("the regional administration building", False, "будівлю обласної адміністрації",
         "будівлі обласної адміністрації", "здание областной администрации", "зданию областной администрации",
         "n"),
        ("a post office", False, "відділення пошти", "відділенні пошти", "почтовое отделение",
         "почтовому отделению", "n"),
        ("a fire station", False, "пожежну частину", "пожежній частині", "пожарная часть", "пожарной части", "f"),
    ),
    "recreation": (
        ("a playground", False, "дитячий майданчик", "дитячому майданчику", "детская площадка",
         "детской площадке", "f"),
        ("a park", False, "парк", "парку", "парк", "парку", "m"),
        ("a stadium", False, "стадіон", "стадіону", "стадион", "стадиону", "m"),
        ("a sports complex", False, "спортивний комплекс", "спортивному комплексу", "спортивный комплекс",
         "спортивному комплексу", "m"),
    ),
    "humanitarian": (
        ("a humanitarian aid distribution point", False, "пункт видачі гуманітарної допомоги",
         "пункту видачі гуманітарної допомоги", "пункт выдачи гуманитарной помощи",
         "пункту выдачи гуманитарной помощи", "m"),
        ("an evacuation bus", False, "евакуаційний автобус", "евакуаційному автобусу", "эвакуационный автобус",
         "эвакуационному автобусу", "m"),
        ("a humanitarian convoy", False, "гуманітарний конвой", "гуманітарному конвою", "гуманитарный конвой",
         "гуманитарному конвою", "m"),
        ("a volunteer centre", False, "волонтерський центр", "волонтерському центру", "волонтерский центр",
         "волонтерскому центру", "m"),
    ),
}
# terms that only fit some towns (ports, hydro plants): elsewhere another term of the category is used
_TERM_TOWNS = {
    "a grain terminal": ("Odesa", "Izmail", "Chornomorsk", "Pivdennyi", "Reni", "Kiliia", "Mykolaiv"),
    "port infrastructure": ("Odesa", "Izmail", "Chornomorsk", "Pivdennyi", "Reni", "Kiliia", "Mykolaiv",
                            "Kherson", "Ochakiv", "Mariupol"),
    "a hydroelectric power plant": ("Vyshhorod", "Kaniv", "Svitlovodsk", "Kamianske", "Dnipro",
                                    "Zaporizhzhia", "Novodnistrovsk"),
}
# site-specific terms (index into TERMS[cat]) used for the repeated sites
_SITE_TERM = {"food_agriculture": 5, "health": 0, "energy": 0, "education": 0, "water": 0}

# "near X" decoys: the place is mentioned but not hit (never one of the incident's categories)
# EN, UK genitive, RU genitive, category
DECOYS = (
    ("the school", "школи", "школы", "education"),
    ("a hospital", "лікарні", "больницы", "health"),
    ("a kindergarten", "дитячого садка", "детского сада", "education"),
    ("a church", "церкви", "церкви", "cultural_religious"),
    ("the railway station", "залізничного вокзалу", "железнодорожного вокзала", "transport"),
    ("a market", "ринку", "рынка", "commercial"),
    ("a playground", "дитячого майданчика", "детской площадки", "recreation"),
)
DECOY_SHARE = 0.07

_OBLAST_UK = {
    "Cherkasy": "Черкаська", "Chernihiv": "Чернігівська", "Chernivtsi": "Чернівецька", "Crimea": "",
    "Dnipropetrovsk": "Дніпропетровська", "Donetsk": "Донецька", "Ivano-Frankivsk": "Івано-Франківська",
    "Kharkiv": "Харківська", "Kherson": "Херсонська", "Khmelnytskyi": "Хмельницька",
    "Kirovohrad": "Кіровоградська", "Kyiv": "Київська", "Kyiv City": "", "Luhansk": "Луганська",
    "Lviv": "Львівська", "Mykolaiv": "Миколаївська", "Odesa": "Одеська", "Poltava": "Полтавська",
    "Rivne": "Рівненська", "Sevastopol": "", "Sumy": "Сумська", "Ternopil": "Тернопільська",
    "Vinnytsia": "Вінницька", "Volyn": "Волинська", "Zakarpattia": "Закарпатська",
    "Zaporizhzhia": "Запорізька", "Zhytomyr": "Житомирська",
}
_OBLAST_RU = {
    "Cherkasy": "Черкасская", "Chernihiv": "Черниговская", "Chernivtsi": "Черновицкая", "Crimea": "",
    "Dnipropetrovsk": "Днепропетровская", "Donetsk": "Донецкая", "Ivano-Frankivsk": "Ивано-Франковская",
    "Kharkiv": "Харьковская", "Kherson": "Херсонская", "Khmelnytskyi": "Хмельницкая",
    "Kirovohrad": "Кировоградская", "Kyiv": "Киевская", "Kyiv City": "", "Luhansk": "Луганская",
    "Lviv": "Львовская", "Mykolaiv": "Николаевская", "Odesa": "Одесская", "Poltava": "Полтавская",
    "Rivne": "Ровенская", "Sevastopol": "", "Sumy": "Сумская", "Ternopil": "Тернопольская",
    "Vinnytsia": "Винницкая", "Volyn": "Волынская", "Zakarpattia": "Закарпатская",
    "Zaporizhzhia": "Запорожская", "Zhytomyr": "Житомирская",
}


def _oblast_uk(o: str) -> str:
    return {"Crimea": "Крим"}.get(o) or (f"{_OBLAST_UK[o]} область" if _OBLAST_UK[o] else "")


def _oblast_ru(o: str) -> str:
    return {"Crimea": "Крым"}.get(o) or (f"{_OBLAST_RU[o]} область" if _OBLAST_RU[o] else "")


LANGS = ("en", "uk", "ru")
LANG_P = (0.60, 0.25, 0.15)

# --------------------------------------------------------------------------------------------
# Towns
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _towns_cached(path: str, mtime: float) -> pd.DataFrame:
    t = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    need = ["name_en", "name_uk", "name_ru", "oblast", "lat", "lon", "weight", "radius_km", "quiet_from",
            "quiet_to"]
    missing = [c for c in need if c not in t.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    for i, row in t.iterrows():
        line = int(i) + 2
        if row["oblast"] not in OBLASTS:
            raise ValueError(f"{path}, line {line}: unknown oblast {row['oblast']!r} (use a name from "
                             "harmmap.gazetteer.OBLASTS)")
        for col in ("lat", "lon", "weight"):
            try:
                float(row[col])
            except ValueError:
                raise ValueError(f"{path}, line {line}: {col} {row[col]!r} is not a number") from None
    out = pd.DataFrame({
        "name_en": t["name_en"].astype(str), "name_uk": t["name_uk"].astype(str),
        "name_ru": t["name_ru"].astype(str), "oblast": t["oblast"].astype(str),
        "lat": t["lat"].astype(float), "lon": t["lon"].astype(float), "weight": t["weight"].astype(float),
    })
    w = out["weight"].to_numpy()
    default_r = np.minimum(6.0, 0.4 + 0.8 * np.sqrt(w))
    r = pd.to_numeric(t["radius_km"].replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    out["radius_km"] = np.where(np.isnan(r), default_r, r)
    out["quiet_from"] = pd.to_datetime(t["quiet_from"].replace("", None), errors="raise")
    out["quiet_to"] = pd.to_datetime(t["quiet_to"].replace("", None), errors="raise")
    return out


def load_towns(path: str | Path | None = None) -> pd.DataFrame:
    """The demo's towns: real names (EN/UK/RU), oblast and coordinates, plus generator weights.

    Example
    -------
    >>> t = load_towns()
    >>> sorted(t["oblast"].unique()) == sorted(OBLASTS)
    True
    """
    p = Path(path or TOWNS_CSV)
    return _towns_cached(str(p), p.stat().st_mtime).copy()


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def _days() -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(START), pd.Timestamp(END), freq="D")


def _intensity(rng: np.random.Generator, days: pd.DatetimeIndex) -> np.ndarray:
    """Oblast x day matrix of relative intensity (phases, smoothed, weekly noise, the Sumy spike)."""
    nd = len(days)
    phase = np.searchsorted(np.array([np.datetime64(p) for p in _PHASES]), days.values.astype("datetime64[D]"),
                            side="right") - 1
    w = np.array([np.asarray(_OBLAST_WEIGHTS[o], dtype=float)[phase] for o in OBLAST_NAMES])
    # smooth the phase edges over ~3 weeks (edge-padded moving average)
    k = 21
    pad = np.pad(w, ((0, 0), (k // 2, k // 2)), mode="edge")
    kern = np.ones(k) / k
    w = np.array([np.convolve(row, kern, mode="valid") for row in pad])
    # the first days of the invasion: strikes everywhere
    first = np.exp(-np.arange(nd) / 4.0)
    w = w + 0.6 * first[None, :]
    # weekly multiplicative noise, gamma(8): CV ~ 0.35
    week = (np.arange(nd) // 7)
    noise = rng.gamma(8.0, 1.0 / 8.0, size=(len(OBLAST_NAMES), week.max() + 1))
    w = w * noise[:, week]
    # planted spike
    if SPIKE.factor:
        o = OBLAST_NAMES.index(SPIKE.oblasts[0])
        m = (days >= pd.Timestamp(SPIKE.dates[0])) & (days <= pd.Timestamp(SPIKE.dates[1]))
        w[o, m] = w[o, m] / noise[o, week[m]] * SPIKE.factor   # steady, not noisy, inside the spike
    return w


def _choose(rng: np.random.Generator, p, size: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _pick_towns(rng, towns: pd.DataFrame, obl_idx: np.ndarray, day: np.ndarray,
                days: pd.DatetimeIndex) -> np.ndarray:
    """Town index per row: within the row's oblast, by weight (x0.08 while the town was quiet)."""
    out = np.empty(len(obl_idx), dtype=np.int64)
    u = rng.random(len(obl_idx))
    dvals = days.values
    for o, name in enumerate(OBLAST_NAMES):
        rows = np.flatnonzero(obl_idx == o)
        if not len(rows):
            continue
        ti = np.flatnonzero(towns["oblast"].to_numpy() == name)
        w = towns["weight"].to_numpy()[ti]
        qf = towns["quiet_from"].to_numpy()[ti]
        qt = towns["quiet_to"].to_numpy()[ti]
        d = dvals[day[rows]]
        quiet = (~pd.isna(qf))[None, :] & (d[:, None] >= qf[None, :]) & (d[:, None] <= qt[None, :])
        ww = np.where(quiet, w[None, :] * 0.08, w[None, :])
        cum = np.cumsum(ww, axis=1)
        cum /= cum[:, -1:]
        pick = (u[rows, None] > cum).sum(axis=1)
        out[rows] = ti[np.minimum(pick, len(ti) - 1)]
    return out


def _jitter(rng, lat, lon, radius_km, min_km=0.15):
    """Uniform points on a disc of ``radius_km`` (at least ``min_km`` from the centre)."""
    n = len(lat)
    r = np.maximum(min_km, radius_km * np.sqrt(rng.random(n)))
    a = rng.random(n) * 2 * np.pi
    dlat = (r * np.cos(a)) / 111.32
    dlon = (r * np.sin(a)) / (111.32 * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def _plural(n: int) -> int:
    """Slavic plural class: 0 one (1, 21), 1 few (2-4, 22-24), 2 many (0, 5-20, 25...)."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def _cas_en(f, i, v: int) -> str:
    if f is None and i is None:
        return ("", " Casualties were not reported.", " Information on casualties is being clarified.")[v % 3]
    parts = []
    if f is not None and f > 0:
        parts.append("One person was killed" if f == 1 else f"{f} people were killed")
    if i is not None and i > 0:
        if parts:
            parts.append(f"and {'one' if i == 1 else i} injured")
        else:
            parts.append("One person was injured" if i == 1 else f"{i} people were injured")
    if not parts:
        if f == 0 and i == 0:
            return (" No casualties were reported.", " There were no casualties.")[v % 2]
        if f == 0:
            return " No deaths were reported."
        return " No one was injured."
    s = " " + " ".join(parts) + "."
    if f is None:
        s += " Deaths were not reported."
    return s


def _cas_uk(f, i, v: int) -> str:
    if f is None and (i is None or i == 0):
        return ("", " Інформація про постраждалих уточнюється.")[v % 2]
    killed = ""
    if f is not None and f > 0:
        killed = (f"Загинула {f} особа", f"Загинули {f} особи", f"Загинули {f} осіб")[_plural(f)]
    hurt = ""
    if i is not None and i > 0:
        hurt = f"поранено {i} " + ("особу", "особи", "осіб")[_plural(i)]
    if killed and hurt:
        return f" {killed}, {hurt}."
    if killed:
        return f" {killed}."
    if hurt:
        return f" {hurt[0].upper()}{hurt[1:]}."
    if i is None:
        return " Загиблих немає."
    return (" Обійшлося без постраждалих.", " Постраждалих немає.")[v % 2]


def _cas_ru(f, i, v: int) -> str:
    if f is None and (i is None or i == 0):
        return ("", " Информация о пострадавших уточняется.")[v % 2]
    killed = ""
    if f is not None and f > 0:
        killed = (f"Погиб {f} человек", f"Погибли {f} человека", f"Погибли {f} человек")[_plural(f)]
    hurt = ""
    if i is not None and i > 0:
        hurt = (f"ранен {i} человек", f"ранены {i} человека", f"ранены {i} человек")[_plural(i)]
    if killed and hurt:
        return f" {killed}, {hurt}."
    if killed:
        return f" {killed}."
    if hurt:
        return f" {hurt[0].upper()}{hurt[1:]}."
    if i is None:
        return " Погибших нет."
    return (" Обошлось без пострадавших.", " Пострадавших нет.")[v % 2]


_RU_DAMAGED = {"m": "поврежден", "f": "повреждена", "n": "повреждено", "p": "повреждены"}
_RU_DESTROYED = {"m": "разрушен", "f": "разрушена", "n": "разрушено", "p": "разрушены"}
_RU_HIT = {"m": "попал", "f": "попала", "n": "попало", "p": "попали"}


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _describe(lang: str, tpl: int, town: str, obl: str, w: int, t1, t2, decoy: int, tm: str | None,
              f, i, v: int) -> str:
    """One description. ``t1``/``t2`` are TERMS rows (t1 None = unclassified; t2 None = single label)."""
    wp = WEAPONS[w]
    if lang == "en":
        where = town if obl in ("Kyiv City", "Sevastopol") else f"{town} ({display_name(obl)})"
        cas = _cas_en(f, i, v)
        art = _EN_ART[w]
        if t1 is None:
            if decoy >= 0:
                return (f"{_cap(wp[2])} hit an open area near {DECOYS[decoy][0]} in {where}; "
                        f"no damage was reported.{cas}")
            k = tpl % 4
            if k == 0:
                return f"{_cap(wp[2])} on the outskirts of {where}; no information on damage.{cas}"
            if k == 1:
                return f"{_cap(wp[2])} on {where}: civilian infrastructure was damaged.{cas}"
            if k == 2:
                return f"Explosions reported in {where} after {art}; details of damage are being clarified.{cas}"
            return f"{_cap(wp[2])} damaged several buildings in {where}.{cas}"
        tgt = t1[0] + (f" and {t2[0]}" if t2 else "")
        pl = t1[1] or t2 is not None
        near = f" near {DECOYS[decoy][0]}" if decoy >= 0 else ""
        k = tpl % 5
        if k == 0:
            at = f" at {tm}" if tm else ""
            return f"{_cap(wp[2])} on {where}{at} damaged {tgt}{near}.{cas}"
        if k == 1:
            lead = f"At {tm}, Russian forces" if tm else "Russian forces"
            return f"{lead} struck {tgt}{near} in {where} with {wp[3]}.{cas}"
        if k == 2:
            return f"{town}: {_cap(tgt)}{near} {'were' if pl else 'was'} hit by {wp[4]}.{cas}"
        if k == 3:
            at = f" at about {tm}" if tm else ""
            return f"{_cap(wp[2])} in {where}{at}: {tgt}{near} damaged.{cas}"
        verb = ("destroyed", "damaged", "partially destroyed")[v % 3]
        return f"{_cap(tgt)}{near} in {where} {'were' if pl else 'was'} {verb} as a result of {art}.{cas}"
    if lang == "uk":
        ob = _oblast_uk(obl)
        hdr = f"{town} ({ob})." if ob else f"{town}."
        cas = _cas_uk(f, i, v)
        at = f"О {tm} " if tm else ""
        if t1 is None:
            if decoy >= 0:
                return f"{hdr} Вибухи пролунали поблизу {DECOYS[decoy][1]}; руйнувань не зафіксовано.{cas}"
            k = tpl % 3
            if k == 0:
                return f"{hdr} Внаслідок {wp[5]} пошкоджено цивільну інфраструктуру.{cas}"
            if k == 1:
                return f"{hdr} Ворог атакував околиці населеного пункту; інформація про руйнування уточнюється.{cas}"
            return f"{hdr} Внаслідок {wp[5]} пошкоджено кілька будівель.{cas}"
        acc = t1[2] + (f" та {t2[2]}" if t2 else "")
        loc = t1[3] + (f" та {t2[3]}" if t2 else "")
        near = f" неподалік від {DECOYS[decoy][1]}" if decoy >= 0 else ""
        k = tpl % 4
        if k == 0:
            verb = ("пошкоджено", "зруйновано", "частково зруйновано")[v % 3]
            lead = f"{at}внаслідок" if at else "Внаслідок"
            return f"{hdr} {lead} {wp[5]} {verb} {acc}{near}.{cas}"
        if k == 1:
            lead = f"{at}російські війська" if at else "Російські війська"
            return (f"{hdr} {lead} завдали удару по {loc}{near}. За даними місцевої влади, ворог "
                    f"застосував {wp[7]}.{cas}")
        if k == 2:
            return f"{town}: {wp[6]} по {loc}{near}.{cas}"
        at = f" о {tm}" if tm else ""
        return f"{hdr} {_cap(wp[6])}{at}: пошкоджено {acc}{near}.{cas}"
    # ru
    ob = _oblast_ru(obl)
    hdr = f"{town} ({ob})." if ob else f"{town}."
    cas = _cas_ru(f, i, v)
    at = f"В {tm} " if tm else ""
    if t1 is None:
        if decoy >= 0:
            return f"{hdr} Взрывы прогремели неподалеку от {DECOYS[decoy][2]}; разрушений не зафиксировано.{cas}"
        k = tpl % 3
        if k == 0:
            return f"{hdr} В результате {wp[8]} повреждена гражданская инфраструктура.{cas}"
        if k == 1:
            return f"{hdr} Противник атаковал окраины населенного пункта; информация о разрушениях уточняется.{cas}"
        return f"{hdr} В результате {wp[8]} повреждены несколько зданий.{cas}"
    g = "p" if t2 else t1[6]
    nom = t1[4] + (f" и {t2[4]}" if t2 else "")
    dat = t1[5] + (f" и {t2[5]}" if t2 else "")
    near = f" неподалеку от {DECOYS[decoy][2]}" if decoy >= 0 else ""
    k = tpl % 4
    if k == 0:
        verb = (_RU_DAMAGED, _RU_DESTROYED)[v % 2][g]
        return f"{hdr} {at}в результате {wp[8]} {verb} {nom}{near}.{cas}" if at else \
            f"{hdr} В результате {wp[8]} {verb} {nom}{near}.{cas}"
    if k == 1:
        lead = f"{at}российские войска" if at else "Российские войска"
        return (f"{hdr} {lead} нанесли удар по {dat}{near}. По данным местных властей, противник "
                f"применил {wp[10]}.{cas}")
    if k == 2:
        return f"{town}: {wp[9]} по {dat}{near}.{cas}"
    return f"{hdr} Под удар {_RU_HIT[g]} {nom}{near}.{cas}"


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> gpd.GeoDataFrame:
    """Generate ``n`` synthetic incidents as a canonical GeoDataFrame (``source == "demo"``).

    Deterministic: the same ``n`` and ``seed`` give the same rows. Patterns in :data:`PLANTED` are
    included when ``n >= MIN_N_FOR_PATTERNS``. Beyond :data:`PART_N` rows, the parts of :func:`parts`
    one after the other (:func:`build_store` writes them one at a time instead).

    Parameters
    ----------
    n : number of incidents (0 or more)
    seed : seed of the numpy Generator (the only source of randomness)

    Example
    -------
    >>> gdf = generate(n=2500, seed=7)
    >>> gdf["incident_id"].iat[0], gdf["source_labels"].iat[0]
    ('demo:000001', ['synthetic'])
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    if n > PART_N:
        return pd.concat(list(parts(n, seed)), ignore_index=True)
    return _generate_part(n, seed)


def parts(n: int = DEFAULT_N, seed: int = DEFAULT_SEED):
    """The demo of ``n`` incidents as GeoDataFrames of at most :data:`PART_N` rows, so that a store of
    any size is filled with the memory of one part. Up to ``PART_N`` rows: the one frame of ``generate(n,
    seed)``. Beyond: part ``k`` is ``generate(rows, seed + k)`` (its own background and planted patterns at
    its own scale) with ids and URLs numbered on after the parts before it.

    Example
    -------
    >>> [len(p) for p in parts(2500)]
    [2500]
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    if n <= PART_N:
        yield _generate_part(n, seed)
        return
    width = max(6, len(str(n)))
    for k, a in enumerate(range(0, n, PART_N)):
        m = min(PART_N, n - a)
        part = _generate_part(m, int(seed) + k)
        nums = range(a + 1, a + m + 1)
        part["incident_id"] = [f"demo:{x:0{width}d}" for x in nums]
        part["source_urls"] = [[f"{URL_PREFIX}{x:0{width}d}"] for x in nums]
        yield part


def _generate_part(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(int(seed))
    towns = load_towns()
    days = _days()
    nd = len(days)

    # ---- planted rows (counts scale with n) ---------------------------------------------------
    parts: list[dict] = []
    if n >= MIN_N_FOR_PATTERNS:
        scale = n / DEFAULT_N
        # energy waves
        for p in planted("energy_wave"):
            for o in p.oblasts:
                k = 1 + int(rng.poisson(1.2 * scale))
                parts.append({"obl": np.full(k, OBLAST_NAMES.index(o)),
                              "day": np.full(k, (p.dates[0] - START).days), "cat": np.full(k, _C["energy"]),
                              "kind": "wave"})
        # repeated sites
        for _label, obl, town, site, cat, strikes in _SITES:
            k = len(strikes)
            ti = int(np.flatnonzero((towns["name_en"] == town).to_numpy())[0])
            parts.append({"obl": np.full(k, OBLAST_NAMES.index(obl)),
                          "day": np.array([(_D(s[:10]) - START).days for s in strikes]),
                          "cat": np.full(k, _C[cat]), "kind": "site", "town": np.full(k, ti),
                          "site": np.tile(np.array(site), (k, 1)), "time": np.array([s[11:] for s in strikes],
                                                                                    dtype=object),
                          "term": np.full(k, _SITE_TERM[cat])})
        # hot spot
        k = int(round(HOTSPOT_SHARE * n))
        d0, d1 = (HOTSPOT.dates[0] - START).days, (HOTSPOT.dates[1] - START).days
        ti = int(np.flatnonzero((towns["name_en"] == "Nikopol").to_numpy())[0])
        hcat = np.array([_C[c] for c in HOTSPOT.categories])[_choose(rng, (70, 10, 10, 10), k)]
        parts.append({"obl": np.full(k, OBLAST_NAMES.index(HOTSPOT.oblasts[0])),
                      "day": rng.integers(d0, d1 + 1, size=k), "cat": hcat, "kind": "hotspot",
                      "town": np.full(k, ti), "site": np.tile(np.array(HOTSPOT.site), (k, 1))})
    n_planted = sum(len(p["obl"]) for p in parts)
    if n_planted > n:
        raise ValueError(f"n={n} is too small for the planted patterns ({n_planted} rows)")

    # ---- background rows -----------------------------------------------------------------------
    nb = n - n_planted
    w = _intensity(rng, days)
    cell = rng.choice(w.size, size=nb, p=(w / w.sum()).ravel()) if nb else np.zeros(0, dtype=np.int64)
    b_obl, b_day = np.divmod(cell, nd)
    b_obl = b_obl.astype(np.int64)
    b_day = b_day.astype(np.int64)

    kinds = np.concatenate([np.zeros(nb, dtype=np.int8)] +
                           [np.full(len(p["obl"]), {"wave": 1, "site": 2, "hotspot": 3}[p["kind"]], dtype=np.int8)
                            for p in parts])
    obl = np.concatenate([b_obl] + [p["obl"].astype(np.int64) for p in parts])
    day = np.concatenate([b_day] + [p["day"].astype(np.int64) for p in parts])
    N = len(obl)
    month_of = days.month.to_numpy()[day]
    year_of = days.year.to_numpy()[day]
    front_names = set(FRONT)
    is_front = np.array([o in front_names for o in OBLAST_NAMES])[obl]
    north = np.array([o in _NORTH_2022 for o in OBLAST_NAMES])[obl] & (day < (_PHASES[1] - START).days)
    is_front = is_front | north

    # towns
    town = _pick_towns(rng, towns, obl, day, days)
    off = nb
    for p in parts:
        k = len(p["obl"])
        if "town" in p:
            town[off:off + k] = p["town"]
        off += k

    # categories
    cat1 = np.empty(N, dtype=np.int64)
    winter = np.isin(month_of, (10, 11, 12, 1, 2, 3))
    for fr in (True, False):
        for wi in (True, False):
            m = (is_front == fr) & (winter == wi) & (kinds == 0)
            p = np.array(_CAT_P_FRONT if fr else _CAT_P_REAR, dtype=float)
            if wi:
                p[_C["energy"]] *= 1.6
                p[_C["gas_heating"]] *= 1.4
            cat1[m] = _choose(rng, p, int(m.sum()))
    off = nb
    for p in parts:
        k = len(p["obl"])
        cat1[off:off + k] = p["cat"]
        off += k
    cat2 = np.full(N, -1, dtype=np.int64)
    multi = (rng.random(N) < MULTI_SHARE) & (cat1 != UNCL) & (kinds != 2)
    res = _C["residential"]
    # primary not residential -> residential (60%) or another category; residential -> table
    m1 = multi & (cat1 != res)
    alt = rng.integers(0, UNCL, size=N)
    cat2[m1] = np.where(rng.random(N)[m1] < 0.6, res, alt[m1])
    m2 = multi & (cat1 == res)
    sec_names = list(_SECOND_OF_RESIDENTIAL)
    cat2[m2] = np.array([_C[c] for c in sec_names])[_choose(rng, list(_SECOND_OF_RESIDENTIAL.values()),
                                                           int(m2.sum()))]
    cat2[cat2 == cat1] = -1

    # weapons
    ybucket = np.clip(year_of - 2022, 0, 2)
    weapon = np.empty(N, dtype=np.int64)
    for fr in ("front", "rear"):
        for yb in (0, 1, 2):
            m = (is_front if fr == "front" else ~is_front) & (ybucket == yb)
            weapon[m] = _choose(rng, _WEAPON_P[(fr, yb)], int(m.sum()))
    # energy waves and long-range targets: missiles and Shahed drones
    m = (kinds == 1) | ((cat1 == _C["energy"]) & (rng.random(N) < 0.7))
    weapon[m] = np.where(rng.random(N)[m] < 0.55, _W["missile"], _W["drone (Shahed)"])
    m = kinds == 2
    weapon[m] = np.where(cat1[m] == _C["food_agriculture"], _W["drone (Shahed)"],
                         np.where(cat1[m] == _C["energy"], _W["missile"], _W["artillery"]))
    m = kinds == 3
    weapon[m] = np.where(rng.random(N)[m] < 0.6, _W["artillery"],
                         np.where(rng.random(N)[m] < 0.5, _W["MLRS"], _W["FPV drone"]))

    # dates: day precision mostly, some week (date = the Monday of that week)
    week_prec = (rng.random(N) < 0.06) & (kinds == 0)
    dvals = days.values[day]
    dates = pd.DatetimeIndex(dvals)
    monday = (dates - pd.to_timedelta(dates.dayofweek, unit="D")).values
    date_out = np.where(week_prec, monday, dvals)
    date_out = np.maximum(date_out, np.datetime64(pd.Timestamp(START)))

    # times: 45% of day-precision rows; night/morning for missiles and drones, daytime otherwise
    has_time = (rng.random(N) < 0.45) & ~week_prec
    has_time |= kinds >= 1
    has_time &= ~((kinds == 3) & (rng.random(N) < 0.5))
    longrange = np.isin(weapon, (_W["missile"], _W["drone (Shahed)"]))
    hour = np.where(longrange, (rng.normal(4.5, 3.0, N)).round() % 24, rng.integers(6, 22, N))
    minute = np.where(rng.random(N) < 0.5, rng.integers(0, 12, N) * 5, rng.integers(0, 60, N))
    minutes = (hour.astype(np.int64) * 60 + minute).astype(np.int64)
    m = kinds == 1
    minutes[m] = rng.integers(4 * 60, 11 * 60, int(m.sum()))
    time_str = np.array([f"{x // 60:02d}:{x % 60:02d}" for x in minutes], dtype=object)
    off = nb
    for p in parts:
        k = len(p["obl"])
        if "time" in p:
            time_str[off:off + k] = p["time"]
        off += k
    time_str = np.where(has_time, time_str, None)

    # coordinates
    t_lat = towns["lat"].to_numpy()[town]
    t_lon = towns["lon"].to_numpy()[town]
    t_rad = towns["radius_km"].to_numpy()[town]
    exact = rng.random(N) < 0.55
    exact |= kinds >= 2
    lat, lon = _jitter(rng, t_lat, t_lon, t_rad)
    lat = np.where(exact, lat, t_lat)
    lon = np.where(exact, lon, t_lon)
    off = nb
    for p in parts:
        k = len(p["obl"])
        if "site" in p:
            if p["kind"] == "site":
                la, lo = _jitter(rng, p["site"][:, 0], p["site"][:, 1], np.full(k, SITE_JITTER_M / 1000),
                                 min_km=0.0)
            else:
                la, lo = _jitter(rng, p["site"][:, 0], p["site"][:, 1], np.full(k, HOTSPOT.radius_m / 1000),
                                 min_km=0.0)
            lat[off:off + k], lon[off:off + k] = la, lo
        off += k
    lat = np.round(lat, 6)
    lon = np.round(lon, 6)

    # casualties: null (not reported) ~20%; mostly 0-3; rare mass-casualty events
    fat = np.where(rng.random(N) < 0.70, 0, np.minimum(rng.geometric(0.6, N), 8)).astype(np.int64)
    inj = np.where(rng.random(N) < 0.45, 0, np.minimum(rng.geometric(0.42, N), 25)).astype(np.int64)
    # mass-casualty events: missiles, guided bombs or MLRS on homes, shops, stations, aid points
    mass_ok = np.isin(cat1, [_C[c] for c in ("residential", "commercial", "transport", "humanitarian")]) & \
        np.isin(weapon, [_W["missile"], _W["guided aerial bomb"], _W["MLRS"]])
    mass = (rng.random(N) < 0.008) & mass_ok
    fat[mass] = rng.integers(10, 61, int(mass.sum()))
    inj[mass] = rng.integers(20, 151, int(mass.sum()))
    fat_null = (rng.random(N) < 0.20) & ~mass
    inj_null = np.where(fat_null, rng.random(N) < 0.7, rng.random(N) < 0.08) & ~mass
    actor_null = (rng.random(N) < 0.05) | np.isin(obl, [OBLAST_NAMES.index("Crimea"),
                                                       OBLAST_NAMES.index("Sevastopol")])

    # language, template, terms, decoys
    lang = _choose(rng, LANG_P, N)
    tpl = rng.integers(0, 60, N)
    var = rng.integers(0, 6, N)
    term_u1 = rng.random(N)
    term_u2 = rng.random(N)
    site_term = np.full(N, -1, dtype=np.int64)
    off = nb
    for p in parts:
        k = len(p["obl"])
        if "term" in p:
            site_term[off:off + k] = p["term"]
        off += k
    site_term[mass] = 0    # an apartment block, a shopping centre, a railway station, an aid point
    decoy_ok = ((cat1 == UNCL) | (cat1 == res) | (cat1 == _C["industrial"])) & (kinds == 0)
    decoy = np.where(decoy_ok & (rng.random(N) < DECOY_SHARE * 3), rng.integers(0, len(DECOYS), N), -1)
    # never a decoy of one of the incident's own categories
    dcat = np.array([_C[d[3]] for d in DECOYS])
    clash = (decoy >= 0) & ((dcat[np.maximum(decoy, 0)] == cat1) | (dcat[np.maximum(decoy, 0)] == cat2))
    decoy[clash] = -1

    # ---- order rows: by date, time, then a random key --------------------------------------------
    tkey = np.array([(int(s[:2]) * 60 + int(s[3:])) if s else 24 * 60 for s in time_str])
    order = np.lexsort((rng.random(N), tkey, date_out.astype("datetime64[D]").astype(np.int64)))

    def o(a):
        return a[order]

    obl, town, cat1, cat2, weapon, lang, tpl, var = map(o, (obl, town, cat1, cat2, weapon, lang, tpl, var))
    term_u1, term_u2, site_term, decoy, time_str = map(o, (term_u1, term_u2, site_term, decoy, time_str))
    fat, inj, fat_null, inj_null, actor_null = map(o, (fat, inj, fat_null, inj_null, actor_null))
    lat, lon, exact, week_prec, date_out, kinds = map(o, (lat, lon, exact, week_prec, date_out, kinds))

    # ---- strings -----------------------------------------------------------------------------------
    width = max(6, len(str(N)))
    ids = [f"demo:{k:0{width}d}" for k in range(1, N + 1)]
    urls = [[f"{URL_PREFIX}{k:0{width}d}"] for k in range(1, N + 1)]
    names = towns[["name_en", "name_uk", "name_ru"]].to_numpy()
    terms = [TERMS.get(c, ()) for c in CATEGORIES]
    # per category: the terms any town may use, and per town the extra ones it may use
    general = [tuple(t for t in tl if t[0] not in _TERM_TOWNS) for tl in terms]
    town_en = towns["name_en"].tolist()
    special = {}
    for ci, tl in enumerate(terms):
        for t in tl:
            for tn in _TERM_TOWNS.get(t[0], ()):
                special.setdefault((ci, town_en.index(tn)), []).append(t)
    special = {k: general[k[0]] + tuple(v) for k, v in special.items()}
    descs = []
    locs = []
    cats = []
    evid = []
    fat_l = [None if z else int(x) for x, z in zip(fat, fat_null, strict=True)]
    inj_l = [None if z else int(x) for x, z in zip(inj, inj_null, strict=True)]
    for r in range(N):
        c1 = int(cat1[r])
        c2 = int(cat2[r])
        lg = int(lang[r])
        tname = names[town[r], lg]
        oname = OBLAST_NAMES[obl[r]]
        if c1 == UNCL:
            t1 = None
            cl = ["unclassified"]
        else:
            st = int(site_term[r])
            if st >= 0:
                t1 = terms[c1][st]
            else:
                tl = special.get((c1, int(town[r])), general[c1])
                t1 = tl[int(term_u1[r] * len(tl))]
            cl = [CATEGORIES[c1]]
        t2 = None
        if c2 >= 0:
            tl2 = special.get((c2, int(town[r])), general[c2])
            t2 = tl2[int(term_u2[r] * len(tl2))]
            cl.append(CATEGORIES[c2])
        tm = time_str[r] if (var[r] % 2 == 0) else None
        descs.append(_describe(LANGS[lg], int(tpl[r]), tname, oname, int(weapon[r]), t1, t2, int(decoy[r]),
                               tm, fat_l[r], inj_l[r], int(var[r])))
        locs.append(tname)
        cats.append(cl)
        evid.append("; ".join(f"synthetic: generated as '{c}'" for c in cl))

    wl = [x[0] for x in WEAPONS]
    et = [x[1] for x in WEAPONS]
    df = pd.DataFrame({
        "incident_id": ids,
        "source": SOURCE,
        "date": pd.to_datetime(date_out).astype("datetime64[ns]"),
        "date_precision": np.where(week_prec, "week", "day"),
        "time": pd.array(list(time_str), dtype="string"),
        "geo_precision": np.where(exact, "exact", "town"),
        "admin1": [OBLAST_NAMES[k] for k in obl],
        "admin2": pd.array([None] * N, dtype="string"),
        "admin1_raw": [OBLAST_NAMES[k] for k in obl],
        "location": locs,
        "description": descs,
        "event_type": [et[k] for k in weapon],
        "source_labels": [["synthetic"] for _ in range(N)],
        "categories": cats,
        "category_confidence": 1.0,
        "category_evidence": evid,
        "fatalities": pd.array(fat_l, dtype="Int64"),
        "injuries": pd.array(inj_l, dtype="Int64"),
        "actor": pd.array([None if a else "Russian Armed Forces" for a in actor_null], dtype="string"),
        "weapon": [wl[k] for k in weapon],
        "source_urls": urls,
        "lon": lon,
        "lat": lat,
    })
    # H3 cells once per distinct point (town-precision points share their town's point)
    if N:
        pts = np.stack([lat, lon], axis=1)
        uniq, inv = np.unique(pts, axis=0, return_inverse=True)
        cells = schema.h3_cells(uniq[:, 0], uniq[:, 1])
        for c in schema.H3_COLUMNS:
            df[c] = cells[c][inv.ravel()]
    return schema.conform(df)


# --------------------------------------------------------------------------------------------
# Files and stores
# --------------------------------------------------------------------------------------------


def _to_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Flat table for CSV: lon/lat instead of geometry, list columns as JSON arrays."""
    import json

    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df.insert(df.columns.get_loc("geo_precision"), "lon", gdf.geometry.x.round(6))
    df.insert(df.columns.get_loc("geo_precision"), "lat", gdf.geometry.y.round(6))
    for c in schema.LIST_COLUMNS:
        df[c] = [json.dumps(list(v), ensure_ascii=False) for v in df[c]]
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    return df


def write(path: str | os.PathLike, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
          gdf: gpd.GeoDataFrame | None = None) -> Path:
    """Generate and write the demo data to ``path`` (``.parquet`` GeoParquet, or ``.csv``).

    The bytes are identical across runs for the same ``n`` and ``seed`` (and library versions).
    CSV has ``lon``/``lat`` columns instead of geometry and list columns as JSON arrays.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = write(pathlib.Path(tempfile.mkdtemp()) / "demo.csv", n=2000, seed=1)
    >>> p.stat().st_size > 0
    True
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"{p}: unsupported output format {suffix or '(none)'!r}; use .parquet or .csv")
    if gdf is None:
        gdf = generate(n, seed)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    if suffix == ".csv":
        _to_table(gdf).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    else:
        gdf.to_parquet(tmp, index=False, compression="zstd", write_covering_bbox=False)
    os.replace(tmp, p)
    return p


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file (to check that two writes are byte-identical)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_store(store, n: int = DEFAULT_N, seed: int = DEFAULT_SEED,
                progress: ProgressFn | None = None, chunk_size: int | None = None) -> int:
    """Generate the demo data and write it into ``store`` (replacing earlier demo rows).

    Rows go in chunks so that ``progress(fraction, message)`` moves (the dashboard's first-run
    progress bar). Returns the number of rows written.

    Example
    -------
    >>> from harmmap.store import open_store
    >>> s = open_store(":memory:")
    >>> build_store(s, n=2000, seed=1)
    2000
    """
    def say(frac: float, msg: str) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, float(frac))), msg)

    total = int(n)
    if total < 0:
        raise ValueError(f"n must be 0 or more, not {total}")
    if chunk_size is None:
        chunk_size = max(1000, min(100_000, -(-total // 10) if total else 1000))
    done = 0
    first = True
    pending = parts(total, seed)
    # each part (all of a demo up to PART_N rows) takes 30% of its share of the bar to generate
    while first or done < total:
        base = done / max(total, 1)
        size = min(PART_N, total - done) if total > PART_N else total
        say(base, f"Generating {total:,} synthetic incidents ({SYNTHETIC_NOTE.lower()})" if first else
            f"Generating synthetic incidents {done + 1:,} to {done + size:,} of {total:,}")
        gdf = next(pending, None)
        if gdf is None:
            break
        share = len(gdf) / max(total, 1) if total else 1.0
        say(base + 0.3 * share, f"Generated {done + len(gdf):,} of {total:,} synthetic incidents; writing")
        starts = list(range(0, len(gdf), chunk_size)) or [0]
        for a in starts:
            _write_chunk(store, gdf.iloc[a:a + chunk_size], first=first, total=total)
            first = False
            end = min(len(gdf), a + chunk_size)
            say(base + share * (0.3 + 0.7 * end / max(len(gdf), 1)),
                f"Wrote {done + end:,} of {total:,} synthetic incidents")
        done += len(gdf)
        del gdf
    say(1.0, f"Done: {total:,} synthetic incidents ({SYNTHETIC_NOTE})")
    return total


def _write_chunk(store, part: gpd.GeoDataFrame, first: bool, total: int) -> int:
    kwargs = {"file": None, "replace": first}
    try:
        return store.write_incidents(part, dataset=DATASET, synthetic=True, **kwargs)
    except TypeError as exc:   # a store without the ``synthetic`` keyword
        if "synthetic" not in str(exc):
            raise
        return store.write_incidents(part, dataset=DATASET, **kwargs)


def ensure_demo_store(url: str | os.PathLike | None = None, progress: ProgressFn | None = None,
                      n: int = DEFAULT_N, seed: int = DEFAULT_SEED):
    """Open the store (default: ``$HARMMAP_DATABASE_URL`` or ``data/harmmap.duckdb``); build the demo
    data into it when it is empty (first run). Returns the open store.

    Example
    -------
    >>> from harmmap.query import Filters
    >>> store = ensure_demo_store(":memory:", n=2000)
    >>> store.count(Filters())
    2000
    """
    from harmmap.store import open_store

    store = open_store(url)
    if store.is_empty():
        build_store(store, n=n, seed=seed, progress=progress)
    elif progress is not None:
        progress(1.0, "The store already holds data")
    return store
