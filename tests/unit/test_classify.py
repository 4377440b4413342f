"""The classifier: rules per language, contexts, conventions of TAXONOMY.md, labels, proximity, frames,
the CLI contracts (--json streaming, --evaluate) and the evaluation loader. Sentences are our own."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from harmmap.classify import (
    FacilityIndex,
    classify_frame,
    classify_text,
    detect_lang,
    get_classifier,
)
from tests.conftest import ROOT


def cats(text, labels=(), lang=None):
    return classify_text(text, labels, lang).categories


@pytest.mark.parametrize("text,expected", [
    # English
    ("Russian shelling damaged a school and two apartment blocks", ["education", "residential"]),
    ("A missile hit a kindergarten in Kharkiv", ["education"]),
    ("Strike on the maternity hospital in Mariupol", ["health"]),
    ("An ambulance was hit by a drone; two paramedics wounded", ["health"]),
    ("Grain elevator destroyed in Odesa oblast", ["food_agriculture"]),
    ("Drone attack damaged a substation; power plant units hit", ["energy"]),
    ("Pumping station of the water supply damaged", ["water"]),
    ("Gas pipeline damaged by shelling", ["gas_heating"]),
    ("Railway station and a bridge hit", ["transport"]),
    ("Shopping centre on fire after strike", ["commercial"]),
    ("Missile strike on a factory", ["industrial"]),
    ("Church damaged by shelling", ["cultural_religious"]),
    ("City council building destroyed by explosion", ["administrative"]),
    ("Crater in a playground", ["recreation"]),
    ("Humanitarian aid convoy shelled", ["humanitarian"]),
    # Ukrainian, inflected
    ("Окупанти обстріляли школу в Оріхові", ["education"]),
    ("Пошкоджено будівлю загальноосвітньої школи №2", ["education"]),
    ("Снаряд влучив у дитячий садок", ["education"]),
    ("Пошкоджено приміщення дитячого садка", ["education"]),
    ("Ракета влучила в лікарню", ["health"]),
    ("Пошкоджено корпус обласної лікарні", ["health"]),
    ("Удар по лікарнею не закінчився", ["health"]),
    ("Зруйновано п'ятиповерховий житловий будинок", ["residential"]),
    ("Пошкоджено елеватор на Одещині", ["food_agriculture"]),
    ("Пошкоджено трансформаторну підстанцію", ["energy"]),
    ("Через обстріл пошкоджено водонасосну станцію", ["water"]),
    ("Пошкоджено газопровід низького тиску", ["gas_heating"]),
    ("Внаслідок удару зруйновано котельню", ["gas_heating"]),
    ("Дрон влучив у пасажирський потяг", ["transport"]),
    ("Окупанти вдарили по АЗС у Харкові", ["transport"]),
    ("Пошкоджено торговельний центр", ["commercial"]),
    ("Горить нафтобаза після удару", ["industrial"]),
    ("Пошкоджено будівлю поліції", ["administrative"]),
    ("Уламки впали на дитячий майданчик", ["recreation"]),
    ("Під обстріл потрапили волонтери, які роздавали гуманітарну допомогу", ["humanitarian"]),
    # Russian, inflected
    ("ВСУ обстреляли школу", ["education"]),
    ("Поврежден детский сад", ["education"]),
    ("Снаряд попал в больницу", ["health"]),
    ("Повреждено здание больницы", ["health"]),
    ("В результате обстрела поврежден многоквартирный дом", ["residential"]),
    ("Поврежден элеватор", ["food_agriculture"]),
    ("В результате обстрела повреждена подстанция", ["energy"]),
    ("Поврежден водопровод", ["water"]),
    ("Поврежден газопровод", ["gas_heating"]),
    ("Дрон атаковал автобус", ["transport"]),
    ("Сгорел рынок", ["commercial"]),
    ("Удар по нефтебазе", ["industrial"]),
    ("Повреждена церковь", ["cultural_religious"]),
    ("Поврежден стадион", ["recreation"]),
])
def test_one_category_per_language(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text", [
    "A shell landed near the hospital",
    "Shelling next to a school; no damage",
    "Russian troops moving towards the railway station",
    "Artillery fire from the direction of the factory",
    "Explosion in the area of the market",
    "Снаряд влучив у дорогу неподалік дитячого садка",
    "Вибух біля школи",
    "Ракета впала поблизу лікарні",
    "Навпроти церкви впав снаряд",
    "Снаряд разорвался возле здания школы",
    "Взрыв рядом с больницей",
    "Обстрел в районе рынка",
    "Снаряд упал недалеко от стадиона",
])
def test_location_is_not_a_hit(text):
    assert cats(text) == []


def test_not_damaged_after_cancels():
    assert cats("Снаряд разорвался, школа не пострадала") == []
    assert cats("The school was not damaged") == []
    assert cats("Школа не зазнала пошкоджень") == []


def test_number_after_cue_is_approximation_not_location():
    assert cats("Пошкоджено біля 20 будинків") == ["residential"]
    assert cats("Повреждено около 10 домов") == ["residential"]


def test_near_cancels_only_the_first_term():
    assert cats("Crater near playground in Shevchenko Park") == ["recreation"]
    assert cats("Damaged hospital near Azovstal") == ["health"]


@pytest.mark.parametrize("text", [
    "Damage to buildings in Mariupol",
    "Civilian infrastructure was hit",
    "Strike on critical infrastructure",
    "Civilian building hit by missile",
    "Shelling of the city centre",
    "Clashes between Russian and Ukrainian forces. Casualties unknown.",
    "Russian ammunition depot destroyed",
    "Удар по телевежі: пошкоджено щоглу",
    "Ворожий снаряд влучив у припаркований легковий автомобіль",
    "У Харкові графіки відключень світла; пошкоджень не зафіксовано",
    "Росіяни викрали голову громади",
    "Сили ППО збили 15 із 18 дронів",
    "Поранених доставили до лікарні",
    "Two civilians were taken to hospital",
    "Ранены трое, они госпитализированы в больницу",
])
def test_unspecified_military_and_mentions_are_unclassified(text):
    assert cats(text) == []


def test_critical_infrastructure_kept_as_evidence():
    r = classify_text("Strike on critical infrastructure")
    assert r.categories == [] and "critical infrastructure" in r.evidence["unclassified"]


@pytest.mark.parametrize("text,expected", [
    ("gas station destroyed", ["transport"]),
    ("Fire at a petrol station after a strike", ["transport"]),
    ("Oil depot on fire", ["industrial"]),
    ("Gas distribution station damaged", ["gas_heating"]),
    ("Grain elevator hit", ["food_agriculture"]),
    ("Palace of culture damaged", ["cultural_religious"]),
    ("Fish-processing plant destroyed", ["food_agriculture", "industrial"]),
    ("Thermal power plant shelled", ["energy"]),
    ("Damage near Hydropower plant", []),
    ("Police station and fire station hit", ["administrative"]),
    ("Nova Poshta branch destroyed", ["administrative"]),
    ("Evacuation bus shelled", ["humanitarian"]),
    ("Эвакуационный автобус попал под обстрел", ["humanitarian"]),
    ("Russian forces looted the museum", ["cultural_religious"]),
    ("Kakhovka dam destroyed", ["water"]),
    ("Orphanage damaged", ["education"]),
    ("Nursing home hit by a bomb", ["health"]),
    ("Повреждено дом ребенка", ["education"]),
    ("Damage to a microdistrict", ["residential"]),
])
def test_conventions(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    # the institutions news cites are the source of the report, not what was hit
    ("Explosions were heard in Mykolaiv, local authorities said.", []),
    ("Shelling killed two people in Kherson, according to the regional administration.", []),
    ("The Interior Ministry said three people were killed in the attack on Zaporizhzhia.", []),
    ("Russia's Defence Ministry said its forces struck Ukrainian army positions.", []),
    ("Zaporizhzhia city council secretary Anatolii Kurtiev said the enemy attacked the city.", []),
    ("The hospital said it was treating 12 people wounded in the strike.", []),
    ("A school was damaged in Kharkiv, the city council said.", ["education"]),
    ("A hospital in Kherson was shelled, Ukraine's Health Ministry said.", ["health"]),
    ("Firefighters extinguished a blaze at a private house after shelling.", ["residential"]),
    # ... unless the attribution is cut off from the term (comma, relative clause) or the building was hit
    ("A missile hit the city council building, the mayor said.", ["administrative"]),
    ("Russian missiles hit a hospital that officials said was treating wounded soldiers.", ["health"]),
    ("A double-tap strike killed two rescuers of the State Emergency Service.", ["administrative"]),
    ("A Russian drone hit the building of the Kherson regional military administration.", ["administrative"]),
    ("Будівлю міськради пошкоджено, повідомив міський голова.", ["administrative"]),
    ("У міськраді повідомили про обстріл громади.", []),
    # a verb in both lists looks both ways
    ("Лікарня повідомила про 5 поранених після обстрілу.", []),
    ("Про обстріл повідомила міська рада.", []),
    ("Пошкоджено лікарню, повідомила ОВА.", ["health"]),
])
def test_attribution_is_a_source_not_a_target(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    # a generic word yields to a more specific target of the same text
    ("Russian troops seized the nuclear power plant after a training building on the plant's site caught fire.",
     ["energy"]),
    ("The water treatment plant in Chuhuiv was hit by artillery.", ["water"]),
    ("Shelling damaged the ICRC office in Donetsk.", ["humanitarian"]),
    ("Drones struck the steel plant, causing a fire at a workshop.", ["industrial"]),
    ("A shell hit the administrative building of the water utility.", ["water"]),
    # ... and counts when it is the only one
    ("A missile hit a plant in Zaporizhzhia.", ["industrial"]),
    ("A drone hit an office in Kyiv.", ["commercial"]),
    ("An administrative building was damaged in Kherson.", ["administrative"]),
])
def test_generic_words_yield_to_specific_targets(text, expected):
    assert cats(text) == expected


def test_location_cue_covers_a_list():
    assert cats("Destruction in the area around the school, the bakery and the apartment blocks.") == []
    assert cats("A shell fell near the school and a missile hit the hospital.") == ["health"]


@pytest.mark.parametrize("text,expected", [
    ("Shrapnel from the missile damaged a kindergarten in Kyiv.", ["education"]),
    ("A thermal power plant operated by DTEK was damaged.", ["energy"]),
    ("A civilian was wounded when his car hit a mine.", []),
    ("Bullets pierced the monument to Taras Shevchenko.", ["cultural_religious"]),
    ("A guided bomb damaged the city council building on Constitution Square.", ["administrative"]),
    ("A boiler house was damaged, leaving 200 apartment blocks without heating.", ["gas_heating"]),
])
def test_words_inside_other_words_and_places(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("Пошкоджено будинок культури", ["cultural_religious"]),
    ("Снаряд влучив у будинок дитини", ["education"]),
    ("Зруйновано будинок для літніх людей", ["health"]),
    ("Зруйновано будинок", ["residential"]),
])
def test_longer_term_wins_over_a_word_it_starts_with(text, expected):
    # "будин* культури" against "будинок": a regex alternation takes the first match, not the longest
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    # facility registers and officials' lists write the object type as an abbreviation
    ("Пошкоджено заклад загальної середньої освіти", ["education"]),
    ("Обстріляно ЗВО", ["education"]),
    ("Пострадало здание вуза", ["education"]),
    ("Пошкоджено ЦРЛ", ["health"]),
    ("Пошкоджено ПС 330 кВ", ["energy"]),
    ("Повреждена ПС-110 кВ", ["energy"]),
    ("Пошкоджено ТП-10", ["energy"]),
    ("Пошкоджено ВНС", ["water"]),
    ("Поврежден МКД", ["residential"]),
    ("Object type: PHC centre. Condition: damaged.", ["health"]),
    ("SS 330 kV Kyivska damaged", ["energy"]),
    ("Kharkiv: KAB hits 9-storey block, 3 injured", ["residential"]),
    # utilities named as one word with their city: "Харківводоканал", "Херсонобленерго", "Миколаївгаз"
    ("Снаряд влучив у будівлю КП «Харківводоканал»", ["water"]),
    ("Пошкоджено обладнання АТ «Херсонобленерго»", ["energy"]),
    ("Пошкоджено мережі Миколаївгазу", ["gas_heating"]),
    ("Повреждены сети Херсонтеплоэнерго", ["gas_heating"]),
    # a municipal company of unstated kind is not a target category; a neuter subject that speaks is a source
    ("The communal enterprise is eliminating the consequences of shelling.", []),
    ("Комунальне підприємство ліквідовує наслідки обстрілу", []),
    ("Харківобленерго повідомило про аварійні відключення", []),
    ("Минздрав сообщило о трех раненых", []),
])
def test_register_abbreviations(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    # an earlier event told after the lead is background when another sentence names what was hit
    ("A missile hit a school in Kharkiv. Earlier, in March, shelling damaged a hospital.", ["education"]),
    ("Ракета влучила в житловий будинок. У 2022 році обстріл знищив тут водонапірну башту.", ["residential"]),
    ("Удар по Харькову повредил ТЭЦ. В 2022 году здесь была разрушена школа.", ["energy"]),
    # ... but the lead always counts, and a background sentence that is all there is counts
    ("In March 2022 shelling damaged a hospital.", ["health"]),
    ("Shelling continued overnight. Earlier, a drone hit a kindergarten.", ["education"]),
])
def test_background_sentences(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("Тип об'єкта: ФАП. Адреса: с. Велика Писарівка, вул. Шкільна.", ["health"]),
    ("Тип объекта: нежилое здание. Адрес: ул. Заводская, 2а.", []),
    ("Прошу репост. В с. Циркуни згоріла наша ферма", ["food_agriculture"]),
    # a negation after a phrase covers the whole phrase
    ("Пошкоджено гараж та автомобіль. Житловий будинок не пошкоджено.", []),
    ("Neither the lyceum nor the hospital was damaged.", []),
    # a destination with an adjective; a visit; "почти" is not a post office
    ("Раненых доставили в городскую больницу.", []),
    ("Zelensky visits Kharkiv hospital, meets wounded", []),
    ("Более 300 человек почти месяц удерживались в подвале.", []),
    # a Russian post with Ukrainian hashtags is scanned with both term sets
    ("Одесса — попадание в подстанцию, пол города без света #Одеса #світло", ["energy"]),
    ("Пишут шо на Оболони обломки упали на детсад и жилой дом, детей не было #Київ", ["education", "residential"]),
    # the people of an institution who speak, and courts that sentence, are sources
    ("Директорка ліцею розповіла про ніч під обстрілами", []),
    ("Суд заочно засудив громадянина РФ до 12 років", []),
])
def test_names_negations_destinations_and_speakers(text, expected):
    assert cats(text) == expected


@pytest.mark.parametrize("text,expected", [
    # a name in quotes after the word for the place names it; the council that owns it is not hit
    ("Обстріл пошкодив стадіон «Шахтар»", ["recreation"]),
    ('Удар по спорткомплексу "Локомотив": зруйновано манеж', ["recreation"]),
    ("Обстеження будівлі КНП «Центральна міська лікарня» Бахмутської міської ради: зруйновано покрівлю",
     ["health"]),
    ("Тип события: обстрел; Место: р-н «Элеватор»; Объект: не установлен", []),
    # a header that names who reports; a headline that names what was hit
    ("Мэрия Горловки: в результате обстрела повреждён стадион", ["recreation"]),
    ("КП «Сумиводоканал»: насосні станції працюють від генераторів", []),
    ("Ministry of Energy, update for the past day: shelling damaged a substation", ["energy"]),
    ("Удар по мерії Сум: троє поранених", ["administrative"]),
    ("Школа №5: вибито вікна", ["education"]),
    # a tracker's field with no value or "no" names no target
    ("residential: no; education: no; energy: yes; notes: strike on Trypilska TPP", ["energy"]),
    ("Объект энергетики: нет; Объект водоснабжения: нет; Жилфонд: 2 частных дома", ["residential"]),
    # legal wording: a pre-trial investigation, a court that finds, a body that reports the strike it names
    ("Kherson regional prosecutor's office: a pre-trial investigation has been opened", []),
    ("The District Court of Kyiv found a serviceman guilty of looting a private house", ["residential"]),
    ("Минобороны России сообщило об ударе по объектам газовой инфраструктуры", ["gas_heating"]),
    # an adjective that yields, a hangar of a farm, cars on a highway
    ("A drone attack on a municipal bus injured the driver", ["transport"]),
    ("The hangar of an agricultural enterprise burned down with two tractors", ["food_agriculture"]),
    ("Drones targeted civilian cars on the Kherson-Mykolaiv highway", []),
    # a later sentence that tells no attack does not count beside one that does; the first always counts
    ("A drone hit a substation in Kharkiv. Hospitals are working on generators and schools have moved online.",
     ["energy"]),
    ("Удар по Харкову пошкодив підстанцію. Школи перейшли на дистанційне навчання.", ["energy"]),
    ("Школа №3 у Херсоні. Уламки ракети пошкодили дах і вікна.", ["education"]),
    ("Hospitals reopened on Monday. Schools resumed classes.", ["education", "health"]),
    # schoolchildren, school years and classes moved online are not schools hit; medics who treat are not hit
    ("Two schoolchildren were killed in the strike on a residential block", ["residential"]),
    ("Внаслідок удару загинули двоє школярів", []),
    ("Школи перейшли на дистанційне навчання", []),
    ("Удар пошкодив школу, учні перейшли на дистанційне навчання", ["education"]),
    ("A drone hit a car in Kherson. Doctors are fighting for the life of the driver.", []),
    ("Paramedics treated five people at the scene after a strike on a shop.", ["commercial"]),
    # a structured record tells its damage in a field of its own: the event rule leaves it alone
    ("Loss notice no. 87. Insured property: pharmacy at 14 Soborna St. Cause of loss: a drone struck the "
     "adjacent oil depot. Damage: glazing destroyed.", ["health", "industrial"]),
    # an auxiliary before the attribution; a firm, a tram depot, a smelting shop; fields, homes and generators
    ("The regional prosecutor's office has opened proceedings over the shelling of a Red Cross convoy",
     ["humanitarian"]),
    ("DTEK, Ukraine's largest private energy firm, said its thermal power plant was damaged", ["energy"]),
    ("The projectile hit the roof of the tram depot, damaging 11 trams", ["transport"]),
    ("Russian forces advanced through fields west of Selydove", []),
    ("Our church lost its dome; the parishioners had just gone home", ["cultural_religious"]),
    ("A drone hit a non-residential building in Velykyi Burluk", []),
    ("The power went off; the pharmacy worked on a generator", []),
    # broken windows and roofs tell damage; a school left without windows is damaged, not without power
    ("A drone hit a house in Kharkiv. The school across the street lost its windows.", ["education", "residential"]),
    ("Дрон влучив у будинок. Школа залишилася без вікон.", ["education", "residential"]),
    ("Школа залишилася без світла", []),
])
def test_names_headers_fields_and_legal_wording(text, expected):
    assert cats(text) == expected


def test_sad_alone_is_not_kindergarten():
    assert "education" not in cats("Пошкоджено фруктовий сад")


def test_labels_map_and_text_combine():
    r = classify_text("Explosion", ["Type of area affected/School or childcare"])
    assert r.categories == ["education"]
    assert r.evidence["education"] == "label: Bellingcat 'School or childcare'"
    r = classify_text("School hit", ["Type of area affected/School or childcare"])
    assert r.confidence["education"] > 0.9
    assert classify_text("Explosion", ["Type of area affected/Military"]).categories == []


def test_evidence_format():
    r = classify_text("Окупанти обстріляли школу")
    assert r.evidence["education"] == "text 'обстріляли школу' (term 'школ*')"
    assert r.evidence_line() == "education (0.90): text 'обстріляли школу' (term 'школ*')"


def test_detect_lang():
    assert detect_lang("Обстріляли школу") == "uk"
    assert detect_lang("Обстреляли школы") == "ru"
    assert detect_lang("Снаряд влучив у дитячий садок") == "cyr"
    assert detect_lang("Shelling hit a school in Харків") == "en"


def test_classify_frame_columns_and_empty_values():
    df = pd.DataFrame({"description": ["Shelling hit a kindergarten", None, ""],
                       "event_type": [None, "Armed clash", None],
                       "source_labels": [[], ["Type of area affected/Healthcare"], None]},
                      index=[10, 11, 12])
    out = classify_frame(df)
    assert list(out.columns) == ["categories", "category_confidence", "category_evidence"]
    assert list(out.index) == [10, 11, 12]
    assert out["categories"].tolist() == [["education"], ["health"], []]
    assert out.loc[10, "category_confidence"] == pytest.approx(0.9)
    assert out.loc[12, "category_confidence"] == 0.0
    assert out.loc[11, "category_evidence"].startswith("health (0.75): label: Bellingcat")


def test_proximity_supports_but_does_not_assign_alone_by_default():
    idx = FacilityIndex.from_points([30.5200, 36.0], [50.4500, 49.0], ["health", "energy"],
                                    names=["Hospital 1", "TPP"])
    df = pd.DataFrame({"description": ["Strike hit the hospital", "Explosion", "Explosion"],
                       "lon": [30.5201, 30.5201, 36.0], "lat": [50.4500, 50.4500, 49.003]})
    out = classify_frame(df, facilities=idx)
    assert out["categories"].tolist() == [["health"], [], ["energy"] if get_classifier().proximity_assigns else []]
    assert "within 7 m of a health facility (Hospital 1)" in out.loc[0, "category_evidence"]
    assert out.loc[0, "category_confidence"] > 0.9


def test_proximity_vectorized_distances():
    idx = FacilityIndex.from_points([30.0], [50.0], "energy")
    near = idx.nearby([30.0, 30.0, 30.0, float("nan")], [50.0, 50.004, 50.006, 50.0])
    assert "energy" in near[0] and "energy" in near[1]      # 0 m, ~445 m (within 500 m)
    assert near[2] == {} and near[3] == {}                  # ~667 m; no coordinates


def test_facility_index_from_shared_files(datasets):
    inf = datasets / "infrastructure"
    idx = FacilityIndex.from_files([(inf / "global_power_plant_database_ukraine.csv", "energy")])
    assert idx.size > 50


def test_facility_index_bad_file(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="x.csv: no lon/lat"):
        FacilityIndex.from_files([(p, "health")])


def test_json_stream_contract():
    from harmmap.commands.classify import _stream

    inp = io.StringIO('{"id": 1, "text": "Обстріляли школу"}\nnot json\n'
                      '{"id": "b", "text": "Explosion", "labels": ["Type of area affected/Residential"]}\n'
                      '{"id": 3, "text": 5}\n')
    out = io.StringIO()
    assert _stream(inp, out) == 0
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [x.get("id") for x in lines] == [1, None, "b", 3]
    assert lines[0]["categories"] == ["education"] and lines[0]["confidence"] == {"education": 0.9}
    assert "error" in lines[1] and "line 2" in lines[1]["error"]
    assert lines[2]["categories"] == ["residential"]
    assert "error" in lines[3]


def test_cli_json_subprocess():
    p = subprocess.run([sys.executable, "-m", "harmmap", "classify", "--json"], cwd=ROOT,
                       input='{"id": 7, "text": "Удар по больнице"}\n', capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["categories"] == ["health"]


def test_evaluate_plain_file_and_baseline(tmp_path, capsys):
    from harmmap.commands.classify import evaluate, load_labels

    f = tmp_path / "mine.csv"
    f.write_text("id,text,categories\n1,Shelling hit a school,education\n2,Explosion near the school,unclassified\n"
                 "3,\"Hospital and houses damaged\",health;residential\n", encoding="utf-8")
    recs = load_labels(f)
    assert recs[1]["truth"] == set()
    rep = evaluate(recs)
    assert rep["classifier"]["micro_f1"] == 1.0
    assert rep["baseline"]["per_category"]["education"]["precision"] == 0.5   # the keyword search is fooled
    assert rep["classifier"]["per_category"]["education"]["support"] == 1


def test_evaluate_resolves_refs(datasets, tmp_path):
    from harmmap.commands.classify import load_labels

    f = tmp_path / "refs.csv"
    f.write_text("id,lang,categories,ref,text\nx,en,unclassified,cir:UW0067,\n", encoding="utf-8")
    assert load_labels(f)[0]["text"].startswith("01/01/2022 Russian military equipment")
    f.write_text("id,lang,categories,ref,text\nx,en,unclassified,cir:NOPE,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 2"):
        load_labels(f)


def test_evaluate_dev_sets_meet_targets():
    """The dev sets (tunable) stay above the targets; held-out *_test.csv files are not read here."""
    from harmmap.commands.classify import evaluate, load_labels

    labels = ROOT / "data" / "labels"
    for name, target in (("uk_dev.csv", 0.85), ("ru_dev.csv", 0.85), ("en_dev.csv", 0.90), ("uk_dev2.csv", 0.85),
                         ("ru_dev2.csv", 0.85), ("en_dev3.csv", 0.90), ("uk_dev3.csv", 0.85), ("ru_dev3.csv", 0.85),
                         ("en_dev4.csv", 0.90), ("uk_dev4.csv", 0.85), ("ru_dev4.csv", 0.85), ("en_dev5.csv", 0.90)):
        if (labels / name).exists():
            assert evaluate(load_labels(labels / name))["classifier"]["micro_f1"] >= target, name


def test_classifier_rebuilds_when_toml_changes(tmp_path):
    src = (ROOT / "data" / "taxonomy.toml").read_text(encoding="utf-8")
    p = tmp_path / "t.toml"
    p.write_text(src, encoding="utf-8")
    c1 = get_classifier(p)
    assert c1.classify("A zorblax was hit").categories == []
    p.write_text(src.replace('[categories.recreation.terms]\nen = [', '[categories.recreation.terms]\nen = ["zorblax*", '),
                 encoding="utf-8")
    import os
    os.utime(p, (c1_m := p.stat().st_mtime + 5, c1_m))
    c2 = get_classifier(p)
    assert c2 is not c1 and c2.classify("A zorblax was hit").categories == ["recreation"]
