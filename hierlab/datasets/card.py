"""Dataset cards: where a dataset comes from, its licence, citation, sizes and columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from hierlab.results import Summary

__all__ = ["DatasetCard"]


@dataclass(frozen=True)
class DatasetCard:
    """What a user needs to cite, license and read a dataset correctly.

    A value record (compared field by field); every dataset bundle carries one as ``.card``.

    Attributes
    ----------
    name : str
        The dataset's name, in one line.
    description : str
        What the dataset holds, in a few sentences.
    source : str
        Where the files come from (repository and commit, or the simulation).
    license : str
        The licence(s) of the data.
    citation : str
        How to cite the dataset.
    urls : tuple of str
        The pinned URLs of the downloaded files (empty for embedded data).
    sizes : mapping of str to int
        Named counts (``{"models": 22, "items": 2854}``).
    columns : mapping of str to str
        Column name to its meaning, for the columns that need explaining.
    caveats : tuple of str
        What a user must know to read the data correctly.

    Examples
    --------
    >>> card = DatasetCard(name="toy", description="A toy.", source="made here",
    ...                    license="CC0", citation="-", sizes={"items": 3})
    >>> print(card.summary())
    toy
    ---
    source    made here
    licence   CC0
    items     3
    citation  -
    >>> card.to_markdown().splitlines()[0]
    '# toy'
    """

    name: str
    description: str
    source: str
    license: str
    citation: str
    urls: tuple[str, ...] = ()
    sizes: Mapping[str, int] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    def summary(self, *, tables: Mapping[str, pl.DataFrame] | None = None) -> Summary:
        """Summarise the card: source, licence, sizes and citation, the columns, the caveats.

        Parameters
        ----------
        tables : mapping of str to polars.DataFrame, optional
            Tables to show before the card's column table (dataset bundles add their own,
            such as accuracy by model).

        Returns
        -------
        Summary
            Facts (source, licence, one per size, the number of files, citation), tables
            (``tables``, then ``columns``: column, meaning) and the caveats as notes.
        """
        facts: list[tuple[str, object]] = [("source", self.source), ("licence", self.license)]
        facts += [(name, value) for name, value in self.sizes.items()]
        if self.urls:
            facts.append(("files", f"{len(self.urls)} pinned URL(s), see .urls"))
        facts.append(("citation", self.citation))
        shown = dict(tables or {})
        if self.columns:
            shown["columns"] = pl.DataFrame(
                {"column": list(self.columns), "meaning": list(self.columns.values())},
                schema={"column": pl.String, "meaning": pl.String},
            )
        return Summary(self.name, facts=facts, tables=shown, notes=self.caveats)

    def to_markdown(self) -> str:
        """Return the card as Markdown: a heading, the description, sizes, columns, citation.

        Returns
        -------
        str
        """
        lines = [f"# {self.name}", "", self.description, "", f"- Source: {self.source}"]
        lines.append(f"- Licence: {self.license}")
        if self.sizes:
            lines.append("- Sizes: " + ", ".join(f"{k} = {v:,}" for k, v in self.sizes.items()))
        if self.urls:
            lines.append("- Files: " + ", ".join(self.urls))
        if self.columns:
            lines += ["", "| column | meaning |", "|---|---|"]
            lines += [f"| `{k}` | {v} |" for k, v in self.columns.items()]
        if self.caveats:
            lines += ["", "Caveats:"] + [f"- {c}" for c in self.caveats]
        lines += ["", "Citation:", "", self.citation]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()
