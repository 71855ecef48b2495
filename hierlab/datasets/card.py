"""Dataset cards: where a dataset comes from, its licence, citation, sizes and columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["DatasetCard"]


@dataclass(frozen=True)
class DatasetCard:
    """What a user needs to cite, license and read a dataset correctly.

    Examples
    --------
    >>> card = DatasetCard(name="toy", description="A toy.", source="made here",
    ...                    license="CC0", citation="-", sizes={"items": 3})
    >>> print(card.summary().splitlines()[0])
    # toy
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

    def summary(self) -> str:
        """The card as Markdown."""
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
        return self.summary()
