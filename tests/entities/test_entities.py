"""The topics shown, read in whole sentences, and the story engine's reading, unchanged.

Sample content: every sentence below is fictional, written for these tests.
"""

from __future__ import annotations

import pytest

from tests.entities._evaluate import EVENTS_DEV, demo_figures, events_figures
from tidings.core.entities import WORD, extract_entities


def shown(title: str, text: str, language: str | None = None) -> dict[str, str]:
    return {e.name: e.kind for e in extract_entities(title, text, language) if e.kind != WORD}


def test_a_last_name_used_alone_is_a_person() -> None:
    text = "Corvin Ashgrove spoke at the hall. Later Ashgrove said the ridge was safe."
    assert shown("Sample", text)["Corvin Ashgrove"] == "person"
    # Without it the place word at the end would say "place" ("Stuart Hall" is a person).
    assert shown("Sample", "Talks were held at Corvin Hall on Monday.")["Corvin Hall"] == "place"
    assert shown("Sample", "Pell Hall spoke first. Hall said it was late.")["Pell Hall"] == "person"


def test_place_and_organisation_words_at_the_end_of_a_name() -> None:
    text = (
        "The fire reached Dunmore Ridge and Ostry Falls. Crews met at Kestwick Stadium on "
        "Varden Lane. Brisk Foods and Harlow Securities shut offices, said Fennel Research "
        "and the Marsh Alliance. The paper appeared in Coastal Ecology Letters."
    )
    kinds = shown("Sample", text)
    for place in ("Dunmore Ridge", "Ostry Falls", "Kestwick Stadium", "Varden Lane"):
        assert kinds[place] == "place", place
    for org in ("Brisk Foods", "Harlow Securities", "Fennel Research", "Marsh Alliance"):
        assert kinds[org] == "org", org
    assert kinds["Coastal Ecology Letters"] == "org"
    subjects = "The Oldmere Cup final and the Coastal Safety Act. Hurricane Tavi struck."
    kinds = shown("Sample", subjects)
    assert kinds["Oldmere Cup"] == kinds["Coastal Safety Act"] == kinds["Hurricane Tavi"] == "topic"


def test_occupations_before_a_name_are_stripped() -> None:
    text = (
        "Composer Lina Farrow wrote the score. Librettist Tomas Vey wrote the words, and "
        "Detective Chief Inspector Ada Quell led the inquiry. Conservative MP Rhea Dunn "
        "spoke. The composer thanked the cast."
    )
    kinds = shown("Sample", text)
    for person in ("Lina Farrow", "Tomas Vey", "Ada Quell", "Rhea Dunn"):
        assert kinds[person] == "person", person
    assert not any(name.split()[0] in {"Composer", "Librettist", "Inspector"} for name in kinds)
    # A common noun written in lower case elsewhere is no part of a name either.
    kinds = shown("Sample", "Potter Ines Maro Vell showed her bowls. Every potter came.")
    assert "Ines Maro Vell" in kinds


def test_a_month_before_a_name_is_a_given_name() -> None:
    text = (
        "Councillor June Abara opened the hall. Abara said it had taken years. "
        "In March the council met again. July was dry."
    )
    kinds = shown("Sample", text)
    assert kinds.get("June Abara") == "person"
    assert not {"March", "July", "Abara"} & set(kinds)


def test_french_sentence_starters_are_no_names() -> None:
    text = (
        "Un incendie a touché Ostrava. Nous avons peur, dit Lena Brac. L'opération a duré "
        "une heure. C'est Lena Brac qui a appelé. L'éditeur Fennel Press publie le livre. "
        "La Première ministre Ada Quell est arrivée."
    )
    kinds = shown("Sample", text, "fr")
    assert kinds["Lena Brac"] == "person"
    assert kinds["Fennel Press"] == "org"
    for junk in ("Un", "Nous", "L'opération", "C'est Lena Brac", "Première", "La Première"):
        assert junk not in kinds, junk


def test_a_quotation_in_guillemets_opens_a_sentence() -> None:
    text = "Les habitants dorment dehors. « Nous n'osons pas rentrer », dit Lena Brac."
    kinds = shown("Sample", text, "fr")
    assert "Nous" not in kinds
    assert kinds["Lena Brac"] == "person"
    # The story engine's reading, read as English as its model was fitted, is unchanged.
    found = {e.name for e in extract_entities("", text, whole_sentences=False)}
    assert "Nous" in found


def test_a_hyphenated_surname_alone_is_the_person_it_abbreviates() -> None:
    text = (
        "The last novel of Edith Marlowe-Crane was found in an attic. Marlowe-Crane died in "
        "1969. Striker Kofi Mensah-Hart scored twice; Mensah-Hart was named man of the match."
    )
    kinds = shown("Sample", text)
    assert kinds["Edith Marlowe-Crane"] == kinds["Kofi Mensah-Hart"] == "person"
    assert "Marlowe-Crane" not in kinds and "Mensah-Hart" not in kinds
    # A hyphenated word that starts a longer name is no surname: it stays its own topic.
    kinds = shown("Sample", "Mid-Ostry is quiet. The Mid-Ostry Rowing Association met in May.")
    assert "Mid-Ostry" in kinds and "Mid-Ostry Rowing Association" in kinds
    # The story engine's reading (as its model was fitted) keeps both apart, as it did.
    text = "The last novel of Edith Marlowe-Crane was found. Marlowe-Crane died in 1969."
    found = {e.name for e in extract_entities("Sample", text, whole_sentences=False)}
    assert {"Edith Marlowe-Crane", "Marlowe-Crane"} <= found


def test_generic_words_alone_and_number_words_are_not_shown() -> None:
    text = (
        "Staff at St Ailbe's General Hospital and the Growers' Union met. Seventy-one homes "
        "burned. Fourteen-year-old Pia Lund won. Bike-share trips rose. The union and the "
        "hospital said the sun was hot. The comet will pass the Sun in May."
    )
    kinds = shown("Sample", text)
    for junk in ("Union", "Hospital", "Seventy-one", "Bike-share", "Sun"):
        assert junk not in kinds, junk
    assert kinds["Pia Lund"] == "person"
    assert kinds["General Hospital"] == "org"  # a title before an organisation's word


def test_names_joined_by_of_are_split_unless_one_name() -> None:
    text = (
        "Ada Quell of Green Meadows spoke at the University of Ostrava and at the Ostry "
        "Museum of Antiquities. Quell thanked them."
    )
    kinds = shown("Sample", text)
    assert kinds["Ada Quell"] == "person"
    assert "Green Meadows" in kinds
    assert kinds["University of Ostrava"] == kinds["Ostry Museum of Antiquities"] == "org"
    assert not any(" of Green" in name for name in kinds)


def test_a_headline_in_title_case_names_only_what_the_text_names() -> None:
    title = "Tarvin Wins Cup With Late Goal For Oldmere Rovers"
    text = "Jon Tarvin scored late for Oldmere Rovers. Tarvin said it was his best goal."
    found = extract_entities(title, text)
    names = [e.name for e in found if e.kind != WORD]
    assert names[:2] == ["Jon Tarvin", "Oldmere Rovers"]
    assert not any("Wins" in name for name in names)


def test_shouting_mojibake_and_contractions_are_no_names() -> None:
    text = "DEFEND THE HARBOUR NOW. We’ve seen it. The Heartlandâ\x80\x99s fair opened in Ostrava."
    kinds = shown("Sample", text)
    assert not any(name.isupper() or "’" in name or "â" in name for name in kinds)
    assert "Heartland" in kinds


def test_a_single_word_after_in_or_near_is_a_place() -> None:
    kinds = shown("Sample", "The quake struck near Hesk. Crews from Brannow went to Hesk.")
    assert kinds["Hesk"] == "place"


def test_a_single_word_named_as_a_place_is_a_place() -> None:
    text = (
        "Rain reached the village of Tollan on Monday. The mayor of Quarrow said Quarrow "
        "held firm. Boats stayed at the Fenwick pier. Fires burned across the west of "
        "Varn province. Orlen Vask thanked the people."
    )
    kinds = shown("Sample", text)
    assert kinds["Tollan"] == kinds["Quarrow"] == kinds["Fenwick"] == kinds["Varn"] == "place"
    # Capitalised, the next word is part of the name; "of" alone says nothing.
    assert shown("Sample", "The Quarrow Mayor met Orlen Vask.")["Quarrow Mayor"] != "place"
    assert shown("Sample", "A friend of Orlen said so.").get("Orlen") != "place"


def test_the_noun_before_a_name_says_what_it_names() -> None:
    text = (
        "Donations went to the relief charity Tarn Hands, said the law firm Oskel Brisk. "
        "Her novel The Copper Wren sold well. Crowds came to see the Vessel Crown. "
        "Chief executive Ada Fenmarsh said so. The Information Commissioner said nothing."
    )
    kinds = shown("Sample", text)
    assert kinds["Tarn Hands"] == kinds["Oskel Brisk"] == "org"
    assert kinds["Copper Wren"] == kinds["Vessel Crown"] == "topic"
    assert kinds["Ada Fenmarsh"] == "person"  # a role before it, though "marsh" ends places
    assert kinds["Information Commissioner"] != "topic"  # an office, not a thing
    # Without such a word, two capitalised words are still a person's name.
    assert shown("Sample", "Crowds came to see Vessel Crown.")["Vessel Crown"] == "person"


def test_a_description_after_a_name_says_what_it_names() -> None:
    text = (
        "Card payments failed after Quill Pay, one of the largest card processors in the "
        "region, went down. Dunmore Ashcroft, a lawyer for the shops, said so. Readers "
        "loved Salt Lantern, her second novel. Haldane Vost, a company director, left. "
        "Fennick Arlo, the Pellan Cider maker, agreed."
    )
    kinds = shown("Sample", text)
    assert kinds["Quill Pay"] == "org"  # shaped like a person's name, described as a firm
    assert kinds["Salt Lantern"] == "topic"
    assert kinds["Dunmore Ashcroft"] == kinds["Haldane Vost"] == "person"  # the last noun
    assert kinds["Fennick Arlo"] == "org"  # "maker": read as the description says
    # Not a description of the name: a possessive, or a list going on past what is read.
    assert shown("Sample", "Tobin Marr, the band’s front man, spoke.")["Tobin Marr"] == "person"
    listed = "They met Vessel Crown, a firm that makes ferries and trains and buses and more."
    assert shown("Sample", listed)["Vessel Crown"] == "org"  # "firm" before "that"
    endless = "He met Vessel Crown, a very very very very very very very very big firm"
    assert shown("Sample", endless)["Vessel Crown"] == "person"


def test_new_starts_a_name_unless_it_is_an_adjective() -> None:
    text = (
        "Flights from New York to New Zealand resumed. The New York Times said so. "
        "Crowds filled New Orleans. New USGS figures came out. New director Ada Voss "
        "spoke; the director said the Ostria Galaxy launch went well. New Ostria Galaxy "
        "phones sold out. New York-based Open Hands agreed."
    )
    kinds = shown("Sample", text)
    assert kinds["New York"] == kinds["New Zealand"] == kinds["New Orleans"] == "place"
    assert kinds["New York Times"] == "org"
    assert "York" not in kinds and "Zealand" not in kinds
    assert "USGS" in kinds and "New USGS" not in kinds  # "New" before an acronym
    assert "New Ostria Galaxy" not in kinds  # the text writes "Ostria Galaxy" alone
    assert "Open Hands" in kinds  # "New York-based": both go
    assert not any(
        name.startswith("New ")
        for name in kinds
        if "York" not in name and name not in ("New Zealand", "New Orleans")
    )


def test_words_for_peoples_and_faiths_are_no_topics() -> None:
    text = (
        "Qataris and South Africans met Israelis in Tollan. Muslim and Coptic Christian "
        "leaders spoke of China-US talks due April-to-June. Edith Marlowe-Crane agreed."
    )
    kinds = shown("Sample", text)
    for word in ("Qataris", "South Africans", "Israelis", "Muslim", "Coptic Christian"):
        assert word not in kinds
    assert "China-US" not in kinds and "April-to-June" not in kinds
    assert kinds["Edith Marlowe-Crane"] == "person"  # a hyphen between names is a name
    assert kinds["Tollan"] == "place"
    assert "Americas" in shown("Sample", "Trade across the Americas grew.")


def test_states_and_world_regions_are_places() -> None:
    text = "Snow closed roads across Colorado. Storms crossed the Caribbean and hit Texas."
    kinds = shown("Sample", text)
    assert kinds["Colorado"] == kinds["Caribbean"] == kinds["Texas"] == "place"


# The story engine's reading, as it was when its model was fitted: every rule above is
# for the whole-sentence reading only (but for another language's sentence starters,
# read past in an article in that language: the model was fitted on English).
ENGINE_READING = [
    (
        "Composer Mira Vell opens the Dunhallow Opera House",
        "Composer Mira Vell's new opera opened at the Dunhallow Opera House. The composer said "
        "Vell had worked for years. Members of Local 12 at Brisk Foods walked out near Ostry "
        "Ridge. Un journaliste a parlé. Seventy-one homes burned.",
        [
            ["Composer Mira Vell", "person", "composer-mira-vell", 0.3571],
            ["Dunhallow Opera House", "org", "dunhallow-opera-house", 0.2143],
            ["Brisk Foods", "person", "brisk-foods", 0.0714],
            ["Dunhallow Opera", "person", "dunhallow-opera", 0.0714],
            ["Members of Local", "topic", "members-of-local", 0.0714],
            ["Ostry", "topic", "ostry", 0.0714],
            ["Seventy-one", "topic", "seventy-one", 0.0714],
            ["Un", "word", "un", 0.0714],
        ],
    ),
    (
        "Tarvin Wins Cup With Late Goal For Oldmere Rovers",
        "Jon Tarvin of Oldmere Rovers scored late at Kestwick Stadium. Tarvin said the U.S. "
        "scouts watched. Mr. Halby agreed. The Union met at St Anselm's General Hospital.",
        [
            [
                "Tarvin Wins Cup With Late Goal For Oldmere Rovers",
                "topic",
                "tarvin-wins-cup-with-late-goal-for-oldmere-rovers",
                0.4444,
            ],
            ["Halby", "word", "halby", 0.1111],
            ["Jon Tarvin of Oldmere Rovers", "topic", "jon-tarvin-of-oldmere-rovers", 0.1111],
            ["Kestwick", "topic", "kestwick", 0.1111],
            ["St Anselm", "person", "st-anselm", 0.1111],
            ["Union", "org", "union", 0.1111],
        ],
    ),
]


@pytest.mark.parametrize(("title", "text", "expected"), ENGINE_READING)
def test_the_story_engines_reading_is_unchanged(
    title: str, text: str, expected: list[list[object]]
) -> None:
    for language in (None, "en", "en-GB"):
        found = extract_entities(title, text, language, whole_sentences=False)
        assert [[e.name, e.kind, e.slug, e.weight] for e in found] == expected
    found = extract_entities(title, text, "fr", whole_sentences=False)
    assert [[e.name, e.kind] for e in found] == [
        [name, kind] for name, kind, _, _ in expected if name != "Un"
    ]


def test_the_story_engine_reads_past_another_languages_sentence_starters() -> None:
    text = (
        "Selon Priya Nandakumar, la panne a duré six heures. Un porte-parole de Kestrel Pay "
        "l'a confirmé. L'Institut géologique du Veland a mesuré la secousse. C'est Gwen "
        "Talbot qui a trouvé le manuscrit."
    )
    found = [e.name for e in extract_entities("", text, "fr-FR", whole_sentences=False)]
    assert sorted(found) == ["Gwen Talbot", "Institut", "Kestrel Pay", "Priya Nandakumar", "Veland"]
    # Read as English (as the model was fitted), the starters stay.
    english = [e.name for e in extract_entities("", text, whole_sentences=False)]
    assert sorted(english) == [
        "C'est Gwen Talbot", "Kestrel Pay", "L'Institut", "Selon Priya Nandakumar", "Un", "Veland"
    ]  # fmt: skip


def test_labelled_demo_topics() -> None:
    # Before the whole-sentence rules: kind accuracy 0.5696, junk or mangled 0.1163;
    # before places named by the words around them ("village of", "... pier"): 0.8288;
    # before the noun written before a name ("the charity Open Hands"): 0.8610; before
    # the description written after it ("Kestrel Pay, one of the largest card
    # processors"): 0.8883; before guillemets opened a sentence and a hyphenated surname
    # alone folded into its full name: 0.8908, junk 0.0650 (now 0.8975, 0.0632).
    figures = demo_figures()
    assert figures["unlabelled"] == []
    assert figures["kind_accuracy"] >= 0.895
    assert figures["junk_rate"] <= 0.064


@pytest.mark.skipif(not EVENTS_DEV.exists(), reason="labelled corpora not available")
def test_labelled_news_sample() -> None:
    # Before the whole-sentence rules: kind accuracy 0.6301, junk or mangled 0.3364;
    # before places named by the words around them and states and regions: 0.7123;
    # before the noun written before a name: 0.7397. Junk before words for peoples and
    # faiths were left out: 0.2287.
    figures = events_figures()
    assert figures["kind_accuracy"] >= 0.75
    assert figures["junk_rate"] <= 0.19
    assert figures["real_hidden"] <= 1
