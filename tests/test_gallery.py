"""The README gallery (tools/gallery.py) renders offline from the embedded demo."""

from __future__ import annotations

from tools.gallery import render


def test_gallery_renders(tmp_path) -> None:
    files = render(tmp_path)
    assert len(files) == 16 and all(p.stat().st_size > 5000 for p in files)
    assert {p.suffix for p in files} == {".svg", ".png"}
