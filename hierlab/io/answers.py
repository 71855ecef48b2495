"""Free-text and structured answers to tree nodes: :func:`parse_answers`.

A model's hierarchical answer arrives as text ("Shibuya, Tokyo, Japan", "I cannot tell from
this image", "Canada/USA", "Error: rate limit exceeded") or as JSON with named fields
(``{"city": "Tokyo", "state": null, "country": "Japan", "lat": 35.7, "lon": 139.7}``).
:func:`parse_answers` places each answer at a node of a given tree and says what it did:

1. **Abstentions** are their own outcome, with a kind: ``error`` (an API or harness error
   instead of an answer), ``refusal`` ("I'm sorry, I can't ..."), ``unknown`` ("unknown",
   "not visible", "N/A", a JSON answer whose fields are all unknown) and ``empty``.
2. **Names** are matched after folding case, accents, punctuation and whitespace, against
   the tree's labels and, in a geographic tree, every spelling of its countries (GeoNames
   and ISO 3166 names, aliases, capitalised ISO codes, translations), first-level
   subdivisions (ISO 3166-2 names and codes; "TX" only under the United States) and cities
   (GeoNames alternate names).
3. The answer's parts (comma-separated address parts, JSON fields, names found inside a
   sentence) are chained from the largest area down: the chosen reading matches the most
   parts, each inside the one before; then the best-quality spellings; then the most
   specific part. A part that contradicts the chain ("Hong Kong, China" when the tree holds
   Hong Kong beside China) is reported in ``ignored``.
4. **Missing intermediate levels** ("Paris, France" without the region): by default the
   node's ancestors come from the tree (``missing_level="fill"``); ``"stop"`` places such an
   answer at the last level it gave without a gap.
5. **Ambiguous answers** ("Canada/USA", "Tennessee/North Carolina", a city name found in
   several countries): ``ambiguous="stop"`` (default) places the answer at the deepest node
   common to all readings (Northern America; the United States) and flags it;
   ``"first"`` takes the first reading written (or the most populous, with ``places``);
   ``"abstain"`` gives the outcome ``ambiguous``.
6. Labels that contain the separator are safe: nodes are returned as ids and paths as label
   lists, and a whole part is looked up before it is split at "/".
7. Coordinates in the answer (fields or "35.68, 139.69" in text) are returned as ``lat`` and
   ``lon``; with ``places`` an answer that gives only coordinates is placed by its country's
   borders and the nearest city (:func:`hierlab.io.reverse_geocode`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from hierlab.datasets.countries import fold_name
from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.io._names import (
    CODE,
    LABEL,
    OTHER,
    Gazetteer,
    bare_name,
    country_depth_of,
    gazetteer,
)
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = ["ABSTENTION_KINDS", "OUTCOMES", "ParsedAnswers", "parse_answers"]

#: The outcome of an answer.
OUTCOMES = ("placed", "abstained", "ambiguous", "unplaced")
#: Kinds of abstention, most specific first.
ABSTENTION_KINDS = ("error", "refusal", "unknown", "empty")

#: JSON fields -> the role of their value.
FIELD_ROLES: dict[str, str] = {
    "country": "country",
    "country_name": "country",
    "nation": "country",
    "state": "admin1",
    "province": "admin1",
    "prefecture": "admin1",
    "admin1": "admin1",
    "state_province": "admin1",
    "region": "admin1",
    "county": "admin2",
    "district": "admin2",
    "city": "city",
    "town": "city",
    "municipality": "city",
    "locality": "city",
    "village": "city",
    "street": "street",
    "address": "street",
    "road": "street",
    "neighborhood": "street",
    "neighbourhood": "street",
}
_LAT = ("lat", "latitude")
_LON = ("lon", "lng", "long", "longitude")
_COORDS = ("coordinates", "coords", "coordinate", "latlon", "lat_lon", "location_coordinates")

_ERROR = re.compile(
    r"(?i)(\bapi ?error\b|\berror code\b|\brate.?limit|\btoo many requests\b|\btimed? ?out\b|"
    r"\btimeout\b|\binternal server error\b|\bservice unavailable\b|\bbad gateway\b|"
    r"\boverloaded\b|\bconnection (error|reset|refused|aborted)\b|\btraceback\b|"
    r"\b\w*(exception|error)\s*:|\bhttp (error )?[45]\d\d\b|\bstatus code:? [45]\d\d\b|"
    r"\bcontext length\b|\bmaximum context\b|\bcontent (filter|policy|management)\b|"
    r"\binvalid request\b|^\s*error\b)"
)
_REFUSAL = re.compile(
    r"\b(i m sorry|i am sorry|sorry i|i apologi[sz]e|i can ?not (help|assist|provide|identify|"
    r"share|comply|determine the exact)|i can t (help|assist|provide|identify|share|comply)|"
    r"i won t|i will not|as an ai|i m not able to|i am not able to|i m unable to|i am unable to|"
    r"i do not feel comfortable|i don t feel comfortable|against (my|the) (policy|policies|"
    r"guidelines)|not able to assist|cannot assist)\b"
)
_UNKNOWN_WHOLE = re.compile(
    r"^(unknown|unk|n a|na|none|null|nil|nan|not visible|not available|not applicable|"
    r"not sure|unsure|unclear|undetermined|indeterminate|uncertain|no idea|no answer|"
    r"not identifiable|unidentifiable|unrecognizable|unrecognisable|cannot determine|"
    r"can t determine|cannot be determined|can t be determined|cannot tell|can t tell|"
    r"don t know|do not know|i don t know|i do not know|not known|not determinable|"
    r"not specified|unspecified|no location|not enough information|insufficient information|"
    r"tbd|x|)$"
)
_UNKNOWN_PHRASE = re.compile(
    r"\b(not (clearly )?visible|can ?not (be )?determined?|can t (be )?determined?|"
    r"unable to (determine|identify|tell|pinpoint|locate)|impossible to (determine|tell|say|"
    r"identify)|not possible to (determine|tell|identify)|no (clear |visible |distinctive )?"
    r"(clues|indication|indicators|landmarks)|insufficient (information|clues|detail)|"
    r"not enough (information|clues|detail|context)|hard to (tell|say|determine)|"
    r"difficult to (tell|say|determine)|i don t know|i do not know|cannot identify|"
    r"can t identify|unknown location|location unknown|can ?not tell|can t tell|can not tell|"
    r"no way to (tell|know)|not sure)\b"
)
_COORD_TEXT = re.compile(
    r"(?<![\w.])([-+\u2212]?\d{1,2}(?:\.\d+)?)\s*°?\s*([NSns])?\s*[,;/ ]\s*"
    r"([-+\u2212]?\d{1,3}(?:\.\d+)?)\s*°?\s*([EWew])?(?![\w.])"
)
_SPLIT = re.compile(
    r"\s*(?:[,;|\n]|\s-\s|\s–\s|\s—\s|"
    r"(?<!\bSt)(?<!\bMt)(?<!\bFt)(?<!\bDr)(?<!\b[A-Z])\.\s+(?=[A-Z]))\s*"
)
_ALTERNATIVES = re.compile(r"\s*(?:/|\bor\b|\\|&)\s*")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_STOPWORDS = frozenset(
    "the a an in of and or is it this that near from to at on by for with as be may might "
    "likely probably looks like seems appears image photo picture location place city country "
    "region state area".split()
)


@dataclass(frozen=True, eq=False)
class ParsedAnswers(Result):
    """Answers placed in a tree, with the outcome of each and a report of what failed.

    Attributes
    ----------
    table : polars.DataFrame
        One row per answer, in input order: ``answer`` (as given; JSON as text),
        ``outcome`` (one of :data:`OUTCOMES`), ``node`` (the node id, null unless placed),
        ``path`` (its labels from the root's child down), ``depth``, ``abstention`` (one of
        :data:`ABSTENTION_KINDS`, null unless abstained), ``ambiguous`` (several readings
        were possible), ``placed_by`` ("text", "fields", "path" or "coordinates"),
        ``matched`` (the parts that were placed, largest first), ``ignored`` (the parts that
        were not used), ``lat``, ``lon`` (coordinates given in the answer, else null).
    tree : Tree
        The tree the nodes belong to.
    options : dict
        The policies used (``ambiguous``, ``missing_level``, ``country_depth``).

    Examples
    --------
    >>> tree = Tree.from_paths(["Europe/France/Paris", "Asia/Japan/Tokyo"], root="World")
    >>> parsed = parse_answers(tree, ["Paris, France", "I can't tell", "Atlantis"])
    >>> parsed.table["outcome"].to_list()
    ['placed', 'abstained', 'unplaced']
    >>> parsed.report().rows()
    [('Atlantis', 'unplaced', 1)]
    """

    table: pl.DataFrame
    tree: Tree
    options: dict[str, Any]

    def counts(self) -> pl.DataFrame:
        """Count answers by outcome (and abstention kind), with their share.

        Returns
        -------
        polars.DataFrame
            ``outcome, abstention, n, share``, in the order of :data:`OUTCOMES`.
        """
        order = pl.Enum(list(OUTCOMES))
        total = max(self.table.height, 1)
        return (
            self.table.group_by("outcome", "abstention")
            .agg(pl.len().alias("n"))
            .with_columns((pl.col("n") / total).alias("share"))
            .sort(pl.col("outcome").cast(order), "abstention", nulls_last=True)
        )

    def report(self) -> pl.DataFrame:
        """List every distinct answer that could not be placed, with how often it occurs.

        Returns
        -------
        polars.DataFrame
            ``answer, outcome, n`` for the unplaced and ambiguous answers, most frequent
            first.
        """
        return (
            self.table.filter(pl.col("outcome").is_in(["unplaced", "ambiguous"]))
            .group_by("answer", "outcome")
            .agg(pl.len().alias("n"))
            .sort(["n", "answer"], descending=[True, False])
        )

    def placement_rate(self) -> float:
        """Share of answers that are not abstentions and were placed.

        Returns
        -------
        float
            ``placed / (answers - abstentions)``; NaN when every answer abstained.
        """
        attempted = self.table.filter(pl.col("outcome") != "abstained").height
        placed = self.table.filter(pl.col("outcome") == "placed").height
        return placed / attempted if attempted else math.nan

    def summary(self) -> Summary:
        """Summarise the parse: counts by outcome, the placement rate and the unplaced answers.

        Returns
        -------
        Summary
        """
        counts = self.counts()
        facts: list[tuple[str, Any]] = [
            ("answers", self.table.height),
            ("placed", int(counts.filter(outcome="placed")["n"].sum())),
            ("abstained", int(counts.filter(outcome="abstained")["n"].sum())),
            ("ambiguous (abstained)", int(counts.filter(outcome="ambiguous")["n"].sum())),
            ("unplaced", int(counts.filter(outcome="unplaced")["n"].sum())),
            ("placement rate (non-abstentions)", self.placement_rate()),
            ("placed with several readings", int(self.table["ambiguous"].sum())),
        ]
        facts += [(k, v) for k, v in self.options.items()]
        tables = {"by outcome": counts}
        report = self.report()
        if report.height:
            tables["not placed"] = report.head(20)
        notes = (
            [f"{report.height} distinct answers could not be placed: see .report()."]
            if report.height
            else []
        )
        return Summary("Answers placed in the tree", facts=facts, tables=tables, notes=notes)

    def to_polars(self) -> pl.DataFrame:
        """Return the per-answer table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


# --------------------------------------------------------------------------- parsing


@dataclass
class _Part:
    text: str
    key: str
    order: int
    hint: int | None = None
    alternatives: tuple[str, ...] = ()


@dataclass
class _Parsed:
    outcome: str
    node: int | None = None
    abstention: str | None = None
    ambiguous: bool = False
    placed_by: str | None = None
    matched: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


class _Chain(NamedTuple):
    """A reading of an answer: nodes chained from the largest area down."""

    end: int  # the deepest node
    count: int  # parts matched
    quality: int  # sum of the matches' qualities (0 best)
    last: int  # order of the most specific part matched
    nodes: tuple[int, ...]
    alternative: int  # which reading of "A/B" the first part took
    orders: tuple[int, ...]  # orders of the matched parts
    hints: int  # parts matched at the depth their field names (city, state ...)


def _answer_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            x = float(value.strip().replace("\u2212", "-").rstrip("°"))
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def _coords_from_text(text: str) -> tuple[float, float, str] | None:
    match = _COORD_TEXT.search(text)
    if not match:
        return None
    lat = float(match.group(1).replace("\u2212", "-"))
    lon = float(match.group(3).replace("\u2212", "-"))
    if match.group(2) and match.group(2).upper() == "S":
        lat = -abs(lat)
    if match.group(4) and match.group(4).upper() == "W":
        lon = -abs(lon)
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    if not (("." in match.group(1)) or ("." in match.group(3)) or match.group(2)):
        return None  # two bare integers are more likely a count or a year than coordinates
    return lat, lon, match.group(0)


def _coords_from_fields(fields: Mapping[str, Any]) -> tuple[float | None, float | None]:
    lat = next((_number(fields[k]) for k in _LAT if k in fields), None)
    lon = next((_number(fields[k]) for k in _LON if k in fields), None)
    for k in _COORDS:
        if k not in fields or (lat is not None and lon is not None):
            continue
        value = fields[k]
        if isinstance(value, Mapping):
            inner = {str(a).lower(): b for a, b in value.items()}
            lat, lon = _coords_from_fields(inner)
        elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            lat, lon = _number(value[0]), _number(value[1])
        elif isinstance(value, str):
            found = _coords_from_text(value)
            if found:
                lat, lon = found[0], found[1]
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
        return lat, lon
    return None, None


def _is_unknown(text: str) -> bool:
    return bool(_UNKNOWN_WHOLE.match(fold_name(text)))


def _flatten(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Lower-cased field names; one level of nesting (``{"answer": {...}}``) is opened."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = re.sub(r"[\s-]+", "_", str(key).strip().lower())
        if isinstance(value, Mapping) and name not in _COORDS:
            for k2, v2 in _flatten(value).items():
                out.setdefault(k2, v2)
        else:
            out.setdefault(name, value)
    return out


class _Parser:
    def __init__(
        self,
        tree: Tree,
        g: Gazetteer,
        *,
        depths: dict[str, int],
        ambiguous: str,
        missing_level: str,
        sep: str | None,
    ) -> None:
        self.tree = tree
        self.g = g
        self.depths = depths
        self.ambiguous = ambiguous
        self.missing_level = missing_level
        self.sep = sep

    # -------------------------------------------------------------- entry point
    def parse(self, value: Any) -> _Parsed:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return _Parsed("abstained", abstention="empty")
        if isinstance(value, Mapping):
            return self._fields(_flatten(value))
        if isinstance(value, Sequence) and not isinstance(value, str):
            parts = [str(v) for v in value if v is not None and not _is_unknown(str(v))]
            return self._path_parts(parts)
        if not isinstance(value, str):
            return self._text(str(value))
        text = value.strip()
        if not text:
            return _Parsed("abstained", abstention="empty")
        unfenced = _FENCE.sub("", text).strip()
        if unfenced.startswith("{") and unfenced.endswith("}"):
            try:
                decoded = json.loads(unfenced)
            except json.JSONDecodeError:
                decoded = None
            if isinstance(decoded, Mapping):
                return self._fields(_flatten(decoded))
        return self._text(text)

    # -------------------------------------------------------------- structured answers
    def _fields(self, fields: dict[str, Any]) -> _Parsed:
        lat, lon = _coords_from_fields(fields)
        order = ["country", "admin1", "admin2", "city", "street"]
        parts: list[_Part] = []
        for role in order:
            for name, value in fields.items():
                if FIELD_ROLES.get(name) != role or not isinstance(value, str):
                    continue
                if _is_unknown(value):
                    continue
                parts.append(self._part(value, len(parts), hint=self.depths.get(role)))
        error = next(
            (
                v
                for k, v in fields.items()
                if k in ("error", "message", "detail") and isinstance(v, str) and v
            ),
            None,
        )
        if not parts and error and _ERROR.search(error):
            return _Parsed("abstained", abstention="error")
        result = self._place(parts, placed_by="fields")
        result.lat, result.lon = lat, lon
        if result.outcome == "unplaced" and not parts:
            texts = " ".join(str(v) for v in fields.values() if isinstance(v, str))
            kind = "refusal" if _REFUSAL.search(fold_name(texts)) else "unknown"
            if lat is None:
                return _Parsed("abstained", abstention=kind)
            result.abstention = None
        return result

    def _path_parts(self, labels: list[str]) -> _Parsed:
        parts = [self._part(text, i) for i, text in enumerate(labels)]
        return self._place(parts, placed_by="path")

    # -------------------------------------------------------------- free text
    def _text(self, text: str) -> _Parsed:
        if _ERROR.search(text):
            return _Parsed("abstained", abstention="error")
        if self.sep and self.sep in text:
            labels = [s.strip() for s in text.split(self.sep)]
            try:
                node = int(self.tree.find(tuple(labels)))
            except (ValueError, TypeError):
                node = -1
            if node >= 0 and node != self.tree.root:
                return _Parsed(
                    "placed", node=node, placed_by="path", matched=tuple(self.tree.path(node)[1:])
                )
        lat = lon = None
        coords = _coords_from_text(text)
        rest = text
        if coords:
            lat, lon = coords[0], coords[1]
            rest = text.replace(coords[2], " ")
        pieces = [p.strip(" .:\"'()[]{}") for p in _SPLIT.split(rest)]
        pieces = self._merge([p for p in pieces if p and not _is_unknown(p)])
        parts: list[_Part] = []
        for piece in reversed(pieces):  # addresses are written smallest first
            part = self._part(piece, len(parts))
            found = None
            if not part.alternatives and not self._lookup(part.key, piece):
                found = self._scan(piece)  # names inside a sentence
            if found:
                parts.extend(self._part(f, len(parts)) for f in reversed(found))
            else:
                parts.append(part)
        result = self._place(parts, placed_by="text")
        result.lat, result.lon = lat, lon
        if result.outcome == "unplaced":
            folded = fold_name(text)
            if _REFUSAL.search(folded):
                return _Parsed("abstained", abstention="refusal", lat=lat, lon=lon)
            if _UNKNOWN_PHRASE.search(folded) or _is_unknown(text) or (not pieces and lat is None):
                return _Parsed("abstained", abstention="unknown", lat=lat, lon=lon)
        return result

    def _merge(self, pieces: list[str]) -> list[str]:
        """Rejoin neighbours that form one label with a comma ("Washington, D.C.")."""
        out: list[str] = []
        i = 0
        while i < len(pieces):
            if i + 1 < len(pieces):
                joined = f"{pieces[i]}, {pieces[i + 1]}"
                if any(q <= 1 for _, q in self._lookup(fold_name(joined), joined)):
                    out.append(joined)
                    i += 2
                    continue
            out.append(pieces[i])
            i += 1
        return out

    def _scan(self, piece: str) -> list[str]:
        """Names found inside a sentence: capitalised word n-grams (longest first)."""
        words = piece.split()
        if len(words) < 3:
            return []
        found: list[tuple[int, str]] = []
        used = [False] * len(words)
        for size in (4, 3, 2, 1):
            for start in range(len(words) - size + 1):
                if any(used[start : start + size]):
                    continue
                chunk = " ".join(words[start : start + size]).strip(" .,:;!?\"'()[]")
                first = chunk[:1]
                if not chunk or not (first.isupper() or (first.isalpha() and not first.isascii())):
                    continue
                key = fold_name(chunk)
                if len(key) < 3 or key in _STOPWORDS:
                    continue
                entries = self._lookup(key, chunk)
                if any(q <= 1 for _, q in entries):
                    found.append((start, chunk))
                    used[start : start + size] = [True] * size
        return [chunk for _, chunk in sorted(found)]

    # -------------------------------------------------------------- matching
    def _part(self, text: str, order: int, hint: int | None = None) -> _Part:
        text = text.strip()
        key = fold_name(text)
        alternatives: tuple[str, ...] = ()
        if not self._lookup(key, text):
            split = [a.strip() for a in _ALTERNATIVES.split(text) if a and a.strip()]
            # "Canada/USA", "USA or Canada": every reading must name a place
            if len(split) > 1 and all(self._lookup(fold_name(a), a) for a in split):
                alternatives = tuple(split)
        return _Part(text=text, key=key, order=order, hint=hint, alternatives=alternatives)

    def _lookup(self, key: str, written: str) -> list[tuple[int, int]]:
        entries = self.g.keys.get(key)
        if entries is None:
            bare = bare_name(key)  # "Sichuan Province" -> "sichuan"
            entries = self.g.keys.get(bare, []) if bare != key else []
        letters = re.sub(r"[^\w]|\d", "", written)
        capitals = len(letters) >= 2 and letters.isupper()
        if key in self.g.codes and not capitals:
            entries = [(n, q) for n, q in entries if q < CODE]
        if capitals and self.g.country_depth is not None:
            # "CAN" written in capitals is a code before it is the town of Çan
            entries = [
                (n, CODE if q == LABEL and self.g.depth[n] > self.g.country_depth else q)
                for n, q in entries
            ]
        return entries

    def _candidates(self, part: _Part, context: list[int]) -> list[tuple[int, int, int]]:
        """(node, quality, alternative index) for a part; short codes under ``context``."""
        texts = [part.text] if not part.alternatives else list(part.alternatives)
        out: list[tuple[int, int, int]] = []
        for index, text in enumerate(texts):
            key = fold_name(text)
            entries = list(self._lookup(key, text))
            letters = re.sub(r"[^A-Za-z]", "", text)
            if letters.isupper() and len(letters) >= 2:
                local = [n for c in context for n in self.g.context.get((c, key), [])]
                if local:
                    entries += [(n, CODE) for n in local]
                else:  # "Paris, TX": a short subdivision code with no country given
                    entries += [(n, OTHER) for n in self.g.short.get(key, [])]
            out += [(n, q, index) for n, q in entries]
        if part.alternatives and out:  # the readings of "A/B" are equally good
            best = min(q for _, q, _ in out)
            out = [(n, best, i) for n, _, i in out]
        return out

    def _place(self, parts: list[_Part], *, placed_by: str) -> _Parsed:
        if not parts:
            return _Parsed("unplaced")
        root = self.tree.root
        # a chain: (end node, matched count, quality sum, last part order, nodes, first
        # alternative index, orders of the matched parts)
        chains: list[_Chain] = [_Chain(root, 0, 0, -1, (), 0, (), 0)]
        for part in parts:
            extended: list[_Chain] = []
            for chain in chains:
                context = [n for n in chain.nodes if n in self.g.iso2]
                for node, quality, alt in self._candidates(part, context):
                    if chain.end != root and not self.g.is_below(node, chain.end):
                        continue
                    extended.append(
                        _Chain(
                            end=node,
                            count=chain.count + 1,
                            quality=chain.quality + quality,
                            last=part.order,
                            nodes=(*chain.nodes, node),
                            alternative=chain.alternative if chain.nodes else alt,
                            orders=(*chain.orders, part.order),
                            hints=chain.hints + (part.hint == self.g.depth[node]),
                        )
                    )
            chains = _prune(chains + extended, self.g.depth)
        best_score = max(_score(c, self.g.depth) for c in chains)
        if best_score[0] == 0:
            return _Parsed("unplaced", ignored=tuple(p.text for p in parts))
        best = [c for c in chains if _score(c, self.g.depth) == best_score]
        if self.missing_level == "stop":
            best = [self._truncate(c) for c in best]
        ends = sorted({c.end for c in best})
        is_ambiguous = len(ends) > 1
        if is_ambiguous:
            node = self._resolve(ends, best)
            if node is None:
                return _Parsed(
                    "ambiguous",
                    ambiguous=True,
                    placed_by=placed_by,
                    ignored=tuple(p.text for p in parts),
                )
        else:
            node = ends[0]
        chosen = next((c for c in best if c.end == node), best[0])
        used = set(chosen.orders)
        return _Parsed(
            "placed",
            node=int(node),
            ambiguous=is_ambiguous,
            placed_by=placed_by,
            matched=tuple(p.text for p in parts if p.order in used),
            ignored=tuple(p.text for p in parts if p.order not in used),
        )

    def _truncate(self, chain: _Chain) -> _Chain:
        """Cut a reading at its first skipped level (``missing_level="stop"``)."""
        nodes = chain.nodes
        keep = 1
        while keep < len(nodes) and self.g.depth[nodes[keep]] == self.g.depth[nodes[keep - 1]] + 1:
            keep += 1
        return chain._replace(end=nodes[keep - 1], nodes=nodes[:keep], orders=chain.orders[:keep])

    def _resolve(self, ends: list[int], chains: list[_Chain]) -> int | None:
        """One node for several equally good readings, by the ``ambiguous`` policy."""
        nested = all(
            a == b or self.g.is_below(b, a) or self.g.is_below(a, b) for a in ends for b in ends
        )
        if nested:
            return min(ends, key=lambda n: self.g.depth[n])
        if self.ambiguous == "abstain":
            return None
        if self.ambiguous == "first":
            weight = self.g.weight

            def rank(chain: _Chain) -> tuple[int, float, int]:
                w = float(weight[chain.end]) if weight is not None else 0.0
                return (chain.alternative, -w, chain.end)

            return min(chains, key=rank).end
        common = int(self.tree.lca(np.array(ends[:1]), np.array(ends[1:2]))[0])
        for other in ends[2:]:
            common = int(self.tree.lca(np.array([common]), np.array([other]))[0])
        return None if common == self.tree.root else common


def _score(chain: _Chain, depth: list[int]) -> tuple[int, int, int, int, int]:
    """Rank readings: parts matched, spellings, specific part, named fields, shallow node.

    Most parts matched first; then the best spellings (labels and country names before
    codes, codes before alternate names); then the most specific part written ("Hong Kong,
    China" is Hong Kong); then parts that matched at the depth their field names
    (``{"city": "Tokyo"}`` is the city); last the shallowest node, which reads a bare
    "Georgia" or "Mexico" as the country and "Tokyo, Japan" as the prefecture.
    """
    return (chain.count, -chain.quality, chain.last, chain.hints, -depth[chain.end])


def _prune(chains: list[_Chain], depth: list[int]) -> list[_Chain]:
    """Keep the best chain per end node (the earliest-written reading among equals)."""
    best: dict[int, _Chain] = {}
    for chain in chains:
        held = best.get(chain.end)
        if (
            held is None
            or _score(chain, depth) > _score(held, depth)
            or (
                _score(chain, depth) == _score(held, depth) and chain.alternative < held.alternative
            )
        ):
            best[chain.end] = chain
    return list(best.values())


def _as_answers(answers: Any) -> list[Any]:
    if isinstance(answers, pl.Series):
        return answers.to_list()
    if type(answers).__module__.split(".")[0] == "pandas" and hasattr(answers, "tolist"):
        return answers.tolist()
    if isinstance(answers, np.ndarray) and answers.ndim == 1:
        return answers.tolist()
    if isinstance(answers, str | bytes | Mapping) or not isinstance(answers, Iterable):
        raise InputTypeError(
            "`answers` must be a list (or Series) of answers - text, JSON objects or None - "
            f"got {type(answers).__name__}; wrap a single answer in a list: [answer]."
        )
    return list(answers)


def _policy(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidValueError(f"`{name}` must be one of {format_items(allowed)}, got {value!r}.")
    return str(value)


def parse_answers(
    tree: Tree,
    answers: Any,
    *,
    places: Any = None,
    ambiguous: str = "stop",
    missing_level: str = "fill",
    country_depth: int | None = None,
    levels: Mapping[str, int] | None = None,
    sep: str | None = "/",
) -> ParsedAnswers:
    """Place free-text or structured answers at nodes of a tree.

    Each distinct answer is parsed once (see the module documentation for the rules):
    abstentions (API errors, refusals, "unknown", "not visible", "N/A", empty) get their own
    outcome; names are matched through the tree's labels and, in a geographic tree, every
    spelling of its countries, subdivisions and cities; the parts of an answer are chained
    from the largest area down; missing intermediate levels and ambiguous answers follow
    explicit policies; every answer that could not be placed is reported.

    Parameters
    ----------
    tree : Tree
        The tree to place answers in (e.g. ``load_places().tree``, or a tree of a
        benchmark's label paths).
    answers : sequence or Series
        The answers: text, JSON text, dicts with named fields (``country``, ``state``,
        ``city``, ``street``, ``lat``/``lon`` ...), label sequences (root first) or None.
    places : Places, optional
        :func:`hierlab.datasets.load_places` for ``tree = places.tree``: breaks ties by
        population (``ambiguous="first"``), matches cities by their GeoNames id, and places
        answers that give only coordinates (country by its borders, then the nearest city).
    ambiguous : {"stop", "first", "abstain"}, default "stop"
        Several equally good readings ("Canada/USA"): place at the deepest node common to
        all of them (flagged ``ambiguous``; an answer whose readings share only the root is
        ``ambiguous``); take the first reading written (then the most populous); or give
        the outcome ``ambiguous``.
    missing_level : {"fill", "stop"}, default "fill"
        An answer that skips a level between two parts it gives ("Paris, France" without
        the region): take the node's ancestors from the tree, or stop at the last part
        before the gap.
    country_depth : int, optional
        The depth of countries in ``tree`` (default: the depth whose labels are mostly
        country names; none for a non-geographic tree).
    levels : mapping of str to int, optional
        Depths of the answer fields' roles, ``{"country": 3, "admin1": 4, "city": 5}``
        (default: from the country depth). A field is matched at its depth first.
    sep : str or None, default "/"
        An answer that is a root-to-node path joined by ``sep`` is looked up as a path
        first (None to skip).

    Returns
    -------
    ParsedAnswers
        The per-answer table (``.table``), ``.counts()``, ``.report()`` of the answers not
        placed, ``.placement_rate()`` and ``.summary()``.

    Examples
    --------
    >>> tree = Tree.from_paths(
    ...     ["Americas/Canada/Ontario/Toronto", "Americas/United States/Texas/Austin",
    ...      "Asia/Japan/Tokyo/Tokyo", "Asia/Hong Kong/Hong Kong", "Asia/China/Beijing"],
    ...     root="World")
    >>> parsed = parse_answers(tree, [
    ...     "Austin, TX, USA", '{"city": "Tokyo", "state": null, "country": "Japan"}',
    ...     "Canada/USA", "Hong Kong, China", "Error: rate limit exceeded (HTTP 429)", "N/A"])
    >>> parsed.table.select("outcome", "path", "abstention").rows()  # doctest: +NORMALIZE_WHITESPACE
    [('placed', ['Americas', 'United States', 'Texas', 'Austin'], None),
     ('placed', ['Asia', 'Japan', 'Tokyo', 'Tokyo'], None),
     ('placed', ['Americas'], None),
     ('placed', ['Asia', 'Hong Kong'], None),
     ('abstained', None, 'error'),
     ('abstained', None, 'unknown')]
    """
    if not isinstance(tree, Tree):
        raise InputTypeError(f"`tree` must be a hierlab Tree, got {type(tree).__name__}.")
    values = _as_answers(answers)
    ambiguous = _policy(ambiguous, "ambiguous", ("stop", "first", "abstain"))
    missing_level = _policy(missing_level, "missing_level", ("fill", "stop"))
    if sep is not None and (not isinstance(sep, str) or not sep):
        raise InvalidValueError(f"`sep` must be a non-empty string or None, got {sep!r}.")
    if places is not None and not isinstance(getattr(places, "table", None), pl.DataFrame):
        raise InputTypeError(
            "`places` must be a places bundle (hierlab.datasets.load_places()) whose tree is "
            f"`tree`, got {type(places).__name__}."
        )
    if country_depth is None:
        country_depth = country_depth_of(tree)
    elif (
        isinstance(country_depth, bool)
        or not isinstance(country_depth, int | np.integer)
        or not 1 <= country_depth <= tree.max_depth
    ):
        raise InvalidValueError(
            f"`country_depth` must be a depth of the tree (1..{tree.max_depth}), "
            f"got {country_depth!r}."
        )
    depths: dict[str, int] = {}
    if country_depth is not None:
        for offset, role in enumerate(("country", "admin1", "city")):
            if country_depth + offset <= tree.max_depth:
                depths[role] = int(country_depth) + offset
    if levels is not None:
        if not isinstance(levels, Mapping):
            raise InputTypeError(
                f"`levels` must map roles to depths, e.g. {{'country': 3}}, got "
                f"{type(levels).__name__}."
            )
        unknown = sorted(set(levels) - set(FIELD_ROLES.values()))
        if unknown:
            raise InvalidValueError(
                f"`levels` names unknown roles {format_items(unknown)}; the roles are "
                f"{format_items(sorted(set(FIELD_ROLES.values())))}."
            )
        depths.update({k: int(v) for k, v in levels.items()})
    g = gazetteer(tree, country_depth=country_depth, places=places)
    parser = _Parser(
        tree, g, depths=depths, ambiguous=ambiguous, missing_level=missing_level, sep=sep
    )
    texts = [_answer_text(v) for v in values]
    cache: dict[str | None, _Parsed] = {}
    rows: list[_Parsed] = []
    for value, text in zip(values, texts, strict=True):
        if text not in cache:
            cache[text] = parser.parse(value)
        rows.append(cache[text])
    coordinate_only = [
        i
        for i, r in enumerate(rows)
        if r.outcome in ("unplaced", "abstained")
        and r.abstention in (None, "unknown")
        and r.lat is not None
    ]
    nodes: list[int | None] = [r.node for r in rows]
    outcomes = [r.outcome for r in rows]
    abstentions = [r.abstention for r in rows]
    placed_by = [r.placed_by for r in rows]
    if places is not None and coordinate_only:
        from hierlab.io.geocode import reverse_geocode

        found = reverse_geocode(
            [rows[i].lat for i in coordinate_only],
            [rows[i].lon for i in coordinate_only],
            places=places,
        )
        for i, node in zip(coordinate_only, found["node"].to_list(), strict=True):
            if node is not None:
                nodes[i], outcomes[i], abstentions[i] = int(node), "placed", None
                placed_by[i] = "coordinates"
    paths = [None if n is None else list(tree.path(n)[1:]) for n in nodes]
    table = pl.DataFrame(
        {
            "answer": texts,
            "outcome": outcomes,
            "node": nodes,
            "path": paths,
            "depth": [None if n is None else int(tree.depth[n]) for n in nodes],
            "abstention": abstentions,
            "ambiguous": [r.ambiguous for r in rows],
            "placed_by": placed_by,
            "matched": [list(r.matched) for r in rows],
            "ignored": [list(r.ignored) for r in rows],
            "lat": [r.lat for r in rows],
            "lon": [r.lon for r in rows],
        },
        schema={
            "answer": pl.String,
            "outcome": pl.String,
            "node": pl.Int64,
            "path": pl.List(pl.String),
            "depth": pl.Int32,
            "abstention": pl.String,
            "ambiguous": pl.Boolean,
            "placed_by": pl.String,
            "matched": pl.List(pl.String),
            "ignored": pl.List(pl.String),
            "lat": pl.Float64,
            "lon": pl.Float64,
        },
    )
    options = {
        "ambiguous": ambiguous,
        "missing_level": missing_level,
        "country_depth": country_depth,
    }
    return ParsedAnswers(table=table, tree=tree, options=options)
