import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meau.annotations import AUToken, Policy, au_column, cell_to_text, parse_au_string, policy_from_names, present_aus
from meau.errors import AUParseError, shorten


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("4", {4}), (12, {12}), (12.0, {12}), ("12.0", {12}), ("AU4", {4}),
        ("L2", {2}), ("R12", {12}), ("L1+L2", {1, 2}), ("4 + L10", {4, 10}),
        ("A12", {12}), ("A/L12", {12}), ("T18", {18}), ("B18", {18}),
        ("12B", {12}), ("7C", {7}), ("43E", {43}), ("10A/B", {10}), ("R20B", {20}), ("A9E", {9}),
        ("(R6 or R12)+R15", {6, 12, 15}), ("L12 or L14", {12, 14}), ("R14A or 17A or 24A", {14, 17, 24}),
        ("ref(7B)+43", {7, 43}), ("ref(L10)+A12B", {10, 12}), ("4D+ref(6)+7C+43E", {4, 6, 7, 43}),
        ("?", set()), ("R14+17+soft focus", {14, 17}), ("R4,5", {4, 5}), ("4，5", {4, 5}), ("AU4(k)", {4}),
    ],
)
def test_default_policy_counts_every_mention(cell, expected):
    assert present_aus(parse_au_string(cell)) == expected


def test_token_fields():
    tokens = parse_au_string("A/L12B+R20A/B+ref(7)+AU4(k)+T18")
    assert tokens[0] == AUToken(au=12, side="L", intensity="B", asymmetric=True, group=0, text="A/L12B")
    assert (tokens[1].au, tokens[1].side, tokens[1].intensity) == (20, "R", "A/B")
    assert tokens[2].reference and tokens[2].au == 7
    assert tokens[3].static and tokens[3].au == 4
    assert tokens[4].mark == "T" and tokens[4].au == 18


def test_alternatives_never_concatenate_digits():
    tokens = parse_au_string("(R6 or R12)+R15")
    assert [t.au for t in tokens] == [6, 12, 15]
    assert [t.alternative for t in tokens] == [True, True, False]
    assert [t.rank for t in tokens] == [0, 1, 0]
    assert 612 not in present_aus(tokens)


@pytest.mark.parametrize(
    "policy, cell, expected",
    [
        (["alternatives-first"], "(R6 or R12)+R15", {6, 15}),
        (["alternatives-drop"], "(R6 or R12)+R15", {15}),
        (["alternatives-first"], "R14A or 17A or 24A", {14}),
        (["ref-drop"], "4D+ref(6)+7C+43E", {4, 7, 43}),
        (["bilateral-only"], "L1+2+R4", {2}),
        (["ref-drop", "bilateral-only"], "ref(7)+L2+12", {12}),
    ],
)
def test_other_policies(policy, cell, expected):
    assert present_aus(parse_au_string(cell), policy_from_names(policy)) == expected


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        policy_from_names(["lenient"])
    with pytest.raises(ValueError, match="alternatives"):
        Policy(alternatives="all")


@pytest.mark.parametrize("cell", ["", "soft focus", "12x", "(4", "4)", "4+", "+4", "AU", "4 or", "ref(", "1.5", "4++5"])
def test_unparseable_cells_name_the_text(cell):
    with pytest.raises(AUParseError) as info:
        parse_au_string(cell, where="sheet.xlsx row 7")
    assert "sheet.xlsx row 7" in str(info.value)
    assert repr(cell_to_text(cell)) in str(info.value)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=30), st.text(alphabet="0123456789LRABCDEUT+,()/ ?ref or.k", max_size=30),
                 st.integers(), st.floats(allow_nan=True)))
def test_any_input_gives_records_or_a_parse_error(cell):
    try:
        tokens = parse_au_string(cell)
    except AUParseError as error:
        assert shorten(cell_to_text(cell)) in str(error)  # the cell's text, cut to a readable length
        return
    assert all(isinstance(token.au, int) and 0 <= token.au <= 999 for token in tokens)


def test_long_cell_texts_are_cut_in_messages():
    cell = "4+" + "very long free text with a 12x inside " * 20
    with pytest.raises(AUParseError) as caught:
        parse_au_string(cell, where="sheet.xlsx row 7")
    message = str(caught.value)
    assert message.startswith("sheet.xlsx row 7: cannot parse AU cell '4+very long") and "…'" in message
    assert len(message) < 160 and "\n" not in message


def test_cell_to_text_reads_numbers_as_text():
    assert cell_to_text(12.0) == "12"
    assert cell_to_text(float("nan")) == ""
    assert cell_to_text(" 4+L10 ") == "4+L10"
    assert au_column(1) == "AU01" and au_column(12) == "AU12"


@pytest.mark.parametrize("cell, expected", [("12L", [(12, "L", None)]), ("4R+7", [(4, "R", None), (7, None, None)]),
                                            ("10R", [(10, "R", None)]), ("20L", [(20, "L", None)]),
                                            ("12LB", [(12, "L", "B")]), ("L12", [(12, "L", None)])])
def test_side_after_the_number(cell, expected):
    """MMEW's sheet writes the side after the number; the token is the same as with the side before it."""
    assert [(t.au, t.side, t.intensity) for t in parse_au_string(cell)] == expected


def test_a_side_given_twice_is_an_error():
    with pytest.raises(AUParseError, match="gives its side twice"):
        parse_au_string("L12R")
