"""AU strings -> per-token records -> binary labels.

The coding sheets of the micro-expression databases write Action Units as free-form strings
(``4+L10``, ``(R6 or R12)+R15``, ``ref(7B)+43``, ``A/L12``, ``?``, Excel numbers such as
``12.0``). :func:`parse_au_string` turns one cell into :class:`AUToken` records and
:func:`present_aus` applies a documented presence :class:`Policy` to them.

Grammar (tokens never concatenate digits across a boundary)::

    cell        := term (SEP term)*          SEP is '+', ',' or the full-width '，'
    term        := alternative ('or' alternative)*
    alternative := 'ref(' cell ')' | '(' cell ')' | atom | free text
    atom        := ['AU'] [A | A/] [L | R] [T | B] number [L | R] [intensity | '(' intensity ')'] ['(k)'] ['?']
    intensity   := A-E | A-E '/' A-E

The side may stand before the number (``L12``) or after it (MMEW's ``12L``), not both; an intensity
may be written in brackets (SAMM Long Videos' ``4(B/C)``).

A term with words but no digits (``soft focus``) is free text and ignored; a term with
digits that is no atom is an error, as is a cell with no AU at all (except ``?``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .errors import AUParseError, shorten

__all__ = [
    "AUToken",
    "Policy",
    "POLICY_PRESETS",
    "parse_au_string",
    "present_aus",
    "au_column",
    "cell_to_text",
]

_MAX_DEPTH = 4
_ATOM = re.compile(
    r"""^(?:AU\s*)?
        (?P<asym>A/?)?
        (?P<side>[LR])?
        (?P<mark>[TB])?
        (?P<number>[0-9]{1,3})(?:\.0+)?
        (?P<side_after>[LR])?
        (?:(?P<intensity>[A-E](?:\s*/\s*[A-E])?)|\((?P<bracketed>[A-E](?:\s*/\s*[A-E])?)\))?
        (?P<static>\(K\))?
        (?P<uncertain>\?)?$""",
    re.VERBOSE | re.IGNORECASE,
)
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)


@dataclass(frozen=True)
class AUToken:
    """One AU as coded in a cell.

    Attributes
    ----------
    au : int
        The FACS number (``12`` for AU12).
    side : {'L', 'R', None}
        Unilateral side as coded (the subject's left or right); None when bilateral or unstated.
    intensity : str or None
        FACS intensity ``'A'``..``'E'`` or a range such as ``'A/B'``.
    asymmetric : bool
        SAMM's ``A`` prefix.
    alternative : bool
        Part of an ``or`` alternative (the coder hesitated).
    reference : bool
        Inside ``ref(...)``: referenced, not fully present.
    uncertain : bool
        Followed by ``?``.
    static : bool
        4DME's ``(k)`` mark.
    mark : str or None
        SAMM's unexplained ``T`` / ``B`` prefixes, kept verbatim.
    group : int
        Index of the ``+``-separated term the token belongs to; alternatives share a group.
    rank : int
        Position among the alternatives of its group (0 = the first written).
    text : str
        The token as written.
    """

    au: int
    side: str | None = None
    intensity: str | None = None
    asymmetric: bool = False
    alternative: bool = False
    reference: bool = False
    uncertain: bool = False
    static: bool = False
    mark: str | None = None
    group: int = 0
    rank: int = 0
    text: str = ""


def cell_to_text(cell) -> str:
    """Read a sheet cell as text: Excel numbers ``12`` / ``12.0`` become ``'12'``; NaN becomes ``''``."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if math.isnan(cell):
            return ""
        if cell.is_integer():
            return str(int(cell))
        return repr(cell)
    return str(cell).strip()


def _split_top_level(text: str, separators: str, where) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise AUParseError(text, "unbalanced ')'", where)
        elif char in separators and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth != 0:
        raise AUParseError(text, "unbalanced '('", where)
    parts.append(text[start:])
    return parts


def _split_or(text: str) -> list[str]:
    """Split on ' or ' at parenthesis depth 0."""
    result, start = [], 0
    for match in _OR.finditer(text):
        before = text[: match.start()]
        if before.count("(") == before.count(")") and match.start() >= start:
            result.append(text[start : match.start()])
            start = match.end()
    result.append(text[start:])
    return result


def _parse_cell(text, where, depth, *, reference, alternative, group_offset) -> tuple[list[AUToken], int]:
    if depth > _MAX_DEPTH:
        raise AUParseError(text, "parentheses nested too deeply", where)
    tokens: list[AUToken] = []
    group = group_offset
    for term in _split_top_level(text, "+,，", where):
        term = term.strip()
        if not term:
            raise AUParseError(text, "empty token between separators", where)
        alternatives = [piece.strip() for piece in _split_or(term)]
        is_alternative = alternative or len(alternatives) > 1
        found_in_term = False
        for rank, piece in enumerate(alternatives):
            if not piece:
                raise AUParseError(text, "empty alternative around 'or'", where)
            sub = _parse_alternative(
                piece, text, where, depth, reference=reference, alternative=is_alternative, group=group, rank=rank
            )
            found_in_term |= bool(sub)
            tokens.extend(sub)
        if found_in_term:
            group += 1
    return tokens, group


def _parse_alternative(piece, text, where, depth, *, reference, alternative, group, rank) -> list[AUToken]:
    lowered = piece.lower()
    if lowered.startswith("ref(") and piece.endswith(")"):
        inner = piece[4:-1]
        tokens, _ = _parse_cell(inner, where, depth + 1, reference=True, alternative=alternative, group_offset=group)
        return [replace(token, group=group, rank=rank) for token in tokens]
    if piece.startswith("(") and piece.endswith(")") and _balanced(piece[1:-1]):
        tokens, _ = _parse_cell(
            piece[1:-1], where, depth + 1, reference=reference, alternative=alternative, group_offset=group
        )
        return [replace(token, group=group, rank=rank + token.rank) for token in tokens]
    match = _ATOM.match(piece)
    if match is None:
        if not any(char.isdigit() for char in piece) and "(" not in piece and ")" not in piece:
            return []  # free text such as 'soft focus'
        raise AUParseError(text, f"{shorten(piece, 30)} is not an AU", where)
    intensity = match["intensity"] or match["bracketed"]  # SAMM Long Videos: 4(B/C)
    if match["side"] and match["side_after"]:
        raise AUParseError(text, f"{shorten(piece, 30)} gives its side twice", where)
    side = match["side"] or match["side_after"]
    return [
        AUToken(
            au=int(match["number"]),
            side=side.upper() if side else None,
            intensity=re.sub(r"\s", "", intensity).upper() if intensity else None,
            asymmetric=bool(match["asym"]),
            alternative=alternative,
            reference=reference,
            uncertain=bool(match["uncertain"]),
            static=bool(match["static"]),
            mark=match["mark"].upper() if match["mark"] else None,
            group=group,
            rank=rank,
            text=piece,
        )
    ]


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


def parse_au_string(cell, *, where: str | None = None) -> list[AUToken]:
    """Parse one AU cell into token records.

    Parameters
    ----------
    cell : str, int or float
        The cell as read from the sheet; numbers are read as text first (``12.0`` -> ``'12'``).
    where : str, optional
        Location for error messages, e.g. ``"CASME2-coding.xlsx row 14"``.

    Returns
    -------
    list of AUToken
        Empty for a ``?`` cell (no AU could be coded).

    Raises
    ------
    AUParseError
        The cell cannot be parsed at all; the message names the text. No other exception
        escapes for any input.
    """
    text = cell_to_text(cell)
    if text in {"?", "？"}:
        return []
    if not text:
        raise AUParseError(text, "empty cell", where)
    # a trailing comma (CAS(ME)^3 C's '14,L24,') ends a list; a dangling '+' stays an error
    listed = text.rstrip(",，").strip() or text
    try:
        tokens, _ = _parse_cell(listed, where, 0, reference=False, alternative=False, group_offset=0)
    except AUParseError as error:
        raise AUParseError(text, error.reason, where) from None  # messages name the cell as written
    if not tokens:
        raise AUParseError(text, "no AU in the cell", where)
    return tokens


@dataclass(frozen=True)
class Policy:
    """How token records become "AU present" decisions.

    The default is the documented policy (README, "Pointing meau at a licensed database"): an AU is present if its number appears
    anywhere in the cell, whatever its side, intensity or prefix; every alternative counts
    (union); ``ref()`` counts; a ``?`` cell has no AU.

    Attributes
    ----------
    alternatives : {'union', 'first', 'drop'}
        Keep every alternative, only the first one written, or none.
    references : {'keep', 'drop'}
        Whether ``ref()`` AUs count as present.
    sides : {'any', 'bilateral'}
        ``'bilateral'`` ignores unilateral (L/R) tokens.
    uncertain : {'drop', 'keep'}
        Whether an AU marked ``?`` (CAS(ME)^3 C's ``13?``) counts; by default it is reported, not counted.
    static : {'keep', 'drop'}
        Whether a static AU (4DME's ``AU4(k)``) counts; by default it does.
    """

    alternatives: str = "union"
    references: str = "keep"
    sides: str = "any"
    uncertain: str = "drop"
    static: str = "keep"

    def __post_init__(self):
        for name, allowed in (
            ("alternatives", ("union", "first", "drop")),
            ("references", ("keep", "drop")),
            ("sides", ("any", "bilateral")),
            ("uncertain", ("drop", "keep")),
            ("static", ("keep", "drop")),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"Policy.{name} must be one of {allowed}, not {getattr(self, name)!r}")

    def describe(self) -> str:
        return (f"alternatives={self.alternatives}, references={self.references}, sides={self.sides}, "
                f"uncertain={self.uncertain}, static={self.static}")


POLICY_PRESETS = {
    "default": {},
    "alternatives-first": {"alternatives": "first"},
    "alternatives-drop": {"alternatives": "drop"},
    "ref-drop": {"references": "drop"},
    "bilateral-only": {"sides": "bilateral"},
    "uncertain-keep": {"uncertain": "keep"},
    "static-drop": {"static": "drop"},
}


def policy_from_names(names) -> Policy:
    """Combine presets such as ``['alternatives-first', 'ref-drop']`` into one :class:`Policy`."""
    fields: dict[str, str] = {}
    for name in names:
        if name not in POLICY_PRESETS:
            raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICY_PRESETS)}")
        fields.update(POLICY_PRESETS[name])
    return Policy(**fields)


def present_aus(tokens: list[AUToken], policy: Policy = Policy()) -> set[int]:
    """The set of AU numbers present under ``policy``."""
    present = set()
    for token in tokens:
        if token.reference and policy.references == "drop":
            continue
        if token.side is not None and policy.sides == "bilateral":
            continue
        if token.alternative and policy.alternatives == "drop":
            continue
        if token.alternative and policy.alternatives == "first" and token.rank != 0:
            continue
        if token.uncertain and policy.uncertain == "drop":
            continue
        if token.static and policy.static == "drop":
            continue
        present.add(token.au)
    return present


def au_column(au: int) -> str:
    """Column name of an AU in labels and predictions: ``AU01``, ``AU12`` (OpenFace style)."""
    return f"AU{au:02d}"


def au_from_column(column: str) -> int:
    return int(column[2:])
