"""Writing again what a block of fpdf2 calls wrote on an earlier page, when it would write the same bytes.

A bordereau of 100,000 lines has some 2,600 pages, and each draws the same running header, footer and table header:
fpdf2's `cell` and `text` lay each of them out again (a third of a second each, over the document). What such a block
writes depends only on where it starts and on fpdf2's graphics state there (font, colours, line width, whether the
font is already selected on the page): when both are those of the last time, its bytes are written again, the
resources it named (its fonts) are added to the page as fpdf2 would, and the state it left is restored. Anything else
runs the block itself. A block that leaves an alias to fill in (`{nb}`), changes page or writes nothing is never kept;
nothing is kept or written again while fpdf2 only measures (`multi_cell(dry_run=True)` runs footers and headers with
its writing switched off).
"""

from __future__ import annotations

from collections.abc import Callable


class Replay:
    """The last run of each named block of one document (or one table): its state before, its bytes, and after."""

    def __init__(self) -> None:
        self._known: dict[str, tuple] = {}

    def run(self, doc, name: str, draw: Callable[[], None]) -> None:
        if getattr(doc._out, "__self__", None) is not doc:  # fpdf2 measuring: its writing is switched off
            draw()
            return
        page_no = doc.page
        page = doc.pages[page_no]
        before = (doc.w, doc.h, doc.x, doc.y, doc._get_current_graphics_state())
        known = self._known.get(name)
        if known is not None and known[0] == before and isinstance(page.contents, bytearray):
            _, data, used, after, x, y, lasth = known
            page.contents.extend(data)
            for kind, resource in used:
                doc._resource_catalog.add(kind, resource, page_no)
            doc._pop_local_stack()
            doc._push_local_stack(after.copy())
            doc.x, doc.y, doc._lasth = x, y, lasth
            return
        start, substitutions = len(page.contents), len(page.get_text_substitutions())
        catalog, used = doc._resource_catalog, []
        add = catalog.add

        def named(kind, resource, number):
            used.append((kind, resource))
            return add(kind, resource, number)

        catalog.add = named  # what the block names on the page (its fonts), to name it again
        try:
            draw()
        finally:
            del catalog.add
        if doc.page != page_no or len(page.get_text_substitutions()) != substitutions \
                or not isinstance(page.contents, bytearray) or len(page.contents) == start:
            self._known.pop(name, None)
            return
        self._known[name] = (before, bytes(page.contents[start:]), tuple(used), doc._get_current_graphics_state(),
                             doc.x, doc.y, doc._lasth)
