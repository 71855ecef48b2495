"""parse_answers: policies on small trees, and 338 real-world spellings on the GeoNames tree."""

from __future__ import annotations

import polars as pl
import pytest

from hierlab import Tree
from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.io import parse_answers
from tests.io.spellings import SPELLINGS

WORLD = Tree.from_paths(
    [
        "Americas/Northern America/Canada/Ontario/Toronto",
        "Americas/Northern America/Canada/British Columbia/Vancouver",
        "Americas/Northern America/United States/Tennessee/Nashville",
        "Americas/Northern America/United States/North Carolina/Charlotte",
        "Americas/Northern America/United States/Illinois/Springfield",
        "Americas/Northern America/United States/Missouri/Springfield",
        "Americas/Northern America/United States/Texas/Paris",
        "Europe/Western Europe/France/Ile-de-France/Paris",
        "Asia/Eastern Asia/Japan/Tokyo/Tokyo",
        "Asia/Eastern Asia/China/Guangdong/Shenzhen",
        "Asia/Eastern Asia/Hong Kong/Hong Kong/Kowloon",
        "Asia/Eastern Asia/Macao/Macao/Macau",
    ],
    root="World",
)


def paths(parsed) -> list:
    return parsed.table["path"].to_list()


def test_issue_spellings_on_a_small_tree() -> None:
    parsed = parse_answers(
        WORLD,
        [
            "Macau SAR",
            "Hoa Kỳ",
            "Hong Kong, China",
            '{"city": "Tokyo", "state": null, "country": "Japan"}',
            "Nashville, TN, USA",
            "Paris, TX",
            "Kowloon, China",
        ],
    )
    assert paths(parsed) == [
        ["Asia", "Eastern Asia", "Macao"],
        ["Americas", "Northern America", "United States"],
        ["Asia", "Eastern Asia", "Hong Kong"],
        ["Asia", "Eastern Asia", "Japan", "Tokyo", "Tokyo"],
        ["Americas", "Northern America", "United States", "Tennessee", "Nashville"],
        ["Americas", "Northern America", "United States", "Texas", "Paris"],
        ["Asia", "Eastern Asia", "Hong Kong", "Hong Kong", "Kowloon"],
    ]
    assert parsed.table["ignored"].to_list()[-1] == ["China"]  # reported, not silently dropped


@pytest.mark.parametrize(
    ("policy", "expected", "outcome"),
    [
        ("stop", ["Americas", "Northern America"], "placed"),
        ("first", ["Americas", "Northern America", "Canada"], "placed"),
        ("abstain", None, "ambiguous"),
    ],
)
def test_ambiguous_answers_follow_the_policy(policy, expected, outcome) -> None:
    row = parse_answers(WORLD, ["Canada/USA"], ambiguous=policy).table.row(0, named=True)
    assert (row["path"], row["outcome"], row["ambiguous"]) == (expected, outcome, True)
    two_states = parse_answers(WORLD, ["Tennessee/North Carolina"], ambiguous=policy).table
    assert (
        two_states["path"].to_list()[0]
        == {
            "stop": ["Americas", "Northern America", "United States"],
            "first": ["Americas", "Northern America", "United States", "Tennessee"],
            "abstain": None,
        }[policy]
    )


def test_same_named_places_under_one_country_stop_at_the_country() -> None:
    parsed = parse_answers(WORLD, ["Springfield, USA", "Paris"])
    assert paths(parsed)[0] == ["Americas", "Northern America", "United States"]
    assert parsed.table["outcome"].to_list() == ["placed", "ambiguous"]
    first = parse_answers(WORLD, ["Paris"], ambiguous="first").table["path"].to_list()[0]
    assert first[-1] == "Paris"


def test_missing_intermediate_level_policy() -> None:
    filled = parse_answers(WORLD, ["Shenzhen, China"]).table
    assert filled["path"].to_list()[0] == ["Asia", "Eastern Asia", "China", "Guangdong", "Shenzhen"]
    stopped = parse_answers(WORLD, ["Shenzhen, China"], missing_level="stop").table
    assert stopped["path"].to_list()[0] == ["Asia", "Eastern Asia", "China"]
    # no gap between the parts given: both policies agree
    both = parse_answers(WORLD, ["Guangdong, China"], missing_level="stop").table
    assert both["path"].to_list()[0] == ["Asia", "Eastern Asia", "China", "Guangdong"]


def test_labels_with_the_separator_and_path_answers() -> None:
    tree = Tree.from_levels(
        pl.DataFrame(
            {
                "country": ["United States", "United States"],
                "state": ["Tennessee/North Carolina", "Texas"],
            }
        ),
        levels=["country", "state"],
        root="World",
    )
    parsed = parse_answers(tree, ["Tennessee/North Carolina", ["United States", "Texas"]])
    assert paths(parsed) == [
        ["United States", "Tennessee/North Carolina"],
        ["United States", "Texas"],
    ]
    assert parsed.table["ambiguous"].to_list() == [False, False]
    as_path = parse_answers(WORLD, ["Europe/Western Europe/France"]).table
    assert (as_path["placed_by"].item(), as_path["depth"].item()) == ("path", 3)


def test_abstentions_are_their_own_outcome_and_the_report_counts_misses() -> None:
    answers = ["Error: rate limit exceeded", "I'm sorry, I can't help with that.", "unknown",
               None, "Atlantis", "Atlantis", "Paris, France"]  # fmt: skip
    parsed = parse_answers(WORLD, answers)
    assert parsed.table["abstention"].to_list() == [
        "error", "refusal", "unknown", "empty", None, None, None,
    ]  # fmt: skip
    assert parsed.report().rows() == [("Atlantis", "unplaced", 2)]
    counts = dict(zip(parsed.counts()["outcome"], parsed.counts()["n"], strict=False))
    assert counts["placed"] == 1 and counts["unplaced"] == 2
    assert parsed.placement_rate() == pytest.approx(1 / 3)
    assert "could not be placed" in str(parsed.summary())


def test_coordinates_are_returned() -> None:
    parsed = parse_answers(WORLD, ['{"country": "Japan", "lat": 35.68, "lon": "139.69"}',
                                   "It is at 43.65° N, 79.38° W in Toronto"])  # fmt: skip
    assert parsed.table.select("lat", "lon").rows() == [(35.68, 139.69), (43.65, -79.38)]
    assert paths(parsed)[1][-1] == "Toronto"


def test_bad_arguments() -> None:
    with pytest.raises(InputTypeError, match="wrap a single answer"):
        parse_answers(WORLD, "Paris")
    with pytest.raises(InvalidValueError, match="`ambiguous`"):
        parse_answers(WORLD, ["Paris"], ambiguous="guess")
    with pytest.raises(InvalidValueError, match="`country_depth`"):
        parse_answers(WORLD, ["Paris"], country_depth=9)
    with pytest.raises(InvalidValueError, match="unknown roles"):
        parse_answers(WORLD, ["Paris"], levels={"planet": 1})


@pytest.mark.mirror
@pytest.mark.usefixtures("data_env")
def test_real_world_spellings_on_the_geonames_tree() -> None:
    from hierlab.datasets import load_places

    places = load_places()
    iso_of = dict(places.table.select("country", "iso2").unique().iter_rows())
    parsed = parse_answers(places.tree, [a for a, _ in SPELLINGS], places=places)
    assert len(SPELLINGS) >= 300

    def as_expected(row: dict, expected: str) -> bool:
        if expected.startswith("abstain:"):
            return row["outcome"] == "abstained" and row["abstention"] == expected[8:]
        if expected.startswith("ambiguous"):
            if ":" in expected:  # placed at the common ancestor, flagged
                return row["ambiguous"] and row["depth"] == int(expected.split(":")[1])
            return row["outcome"] == "ambiguous"
        iso, _, depth = expected.partition(":")
        return (
            row["outcome"] == "placed"
            and row["depth"] >= 3
            and iso_of.get(row["path"][2]) == iso
            and row["depth"] >= int(depth or 3)
        )

    misses = [
        (answer, expected, row["outcome"], row["path"])
        for (answer, expected), row in zip(
            SPELLINGS, parsed.table.iter_rows(named=True), strict=True
        )
        if not as_expected(row, expected)
    ]
    assert len(misses) <= len(SPELLINGS) // 100, misses  # at least 99% as a reader would
    assert parsed.placement_rate() >= 0.99
