"""Small edits of an xlsx's XML parts, made on their bytes so that everything else in them stays as it was: cell
formats added to styles.xml, relationships, content types, a sheet's `s` attributes. Anything these edits do not
recognise raises Unsupported: the caller then takes the slower road (openpyxl), which rewrites the whole workbook."""

from __future__ import annotations

import posixpath
import re
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"


class Unsupported(Exception):
    """A workbook whose parts these byte edits cannot change safely."""


def block(data: bytes, tag: bytes) -> tuple[int, int, int]:
    """(start of `<tag ...>`, end of that start tag, start of `</tag>`) of the one unprefixed element `tag`."""
    found = re.search(rb"<" + tag + rb"\b[^>]*?(/?)>", data)
    if found is None or found.group(1):
        raise Unsupported(tag.decode())
    close = data.find(b"</" + tag + b">", found.end())
    if close < 0:
        raise Unsupported(tag.decode())
    return found.start(), found.end(), close


def set_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    """A start tag (`<x a="1">` or `<x/>`) with attribute `name` set to `value`."""
    pattern = re.compile(rb"(\s" + name + rb'=)(["\'])[^"\']*\2')
    if pattern.search(tag):
        return pattern.sub(lambda m: m.group(1) + b'"' + value + b'"', tag, count=1)
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + b" " + name + b'="' + value + b'"' + tag[end:]


def drop_attr(tag: bytes, name: bytes) -> bytes:
    return re.sub(rb"\s" + name + rb'=(["\'])[^"\']*\1', b"", tag, count=1)


def _append(data: bytes, tag: bytes, items: list[bytes]) -> tuple[bytes, int]:
    """`data` with `items` appended to the element `tag` (its count attribute updated); the index of the first."""
    start, open_end, close = block(data, tag)
    child = tag[:-1] if tag != b"cellXfs" else b"xf"
    existing = len(re.findall(rb"<" + child + rb"\b", data[open_end:close]))
    head = set_attr(data[start:open_end], b"count", str(existing + len(items)).encode())
    return data[:start] + head + data[open_end:close] + b"".join(items) + data[close:], existing


def children(data: bytes, tag: bytes) -> list[bytes]:
    """The direct children of the element `tag` (fonts, fills, borders, cellXfs) as byte strings."""
    _, open_end, close = block(data, tag)
    child = tag[:-1] if tag != b"cellXfs" else b"xf"
    inner = data[open_end:close]
    pattern = re.compile(rb"<" + child + rb"\b(?:[^>]*?/>|.*?</" + child + rb">)", re.S)
    return pattern.findall(inner)


class Styles:
    """styles.xml, to which cell formats are added; `xf(base, fill)` gives the index of a format."""

    def __init__(self, data: bytes):
        if not data.lstrip().startswith(b"<?xml") and b"<styleSheet" not in data[:400]:
            raise Unsupported("styles")
        self.data = data
        self.xfs = children(data, b"cellXfs")
        self.fonts, self.fills, self.borders = (len(children(data, t)) for t in (b"fonts", b"fills", b"borders"))
        self.new_xfs: list[bytes] = []
        self.new_fonts: list[bytes] = []
        self.new_fills: list[bytes] = []
        self.new_borders: list[bytes] = []
        self._cache: dict[tuple, int] = {}

    def fill(self, xml: bytes) -> int:
        key = ("fill", xml)
        if key not in self._cache:
            self.new_fills.append(xml)
            self._cache[key] = self.fills + len(self.new_fills) - 1
        return self._cache[key]

    def with_fill(self, base: int, fill_xml: bytes) -> int:
        """The format `base` of a cell with the fill `fill_xml` instead of its own."""
        key = ("xf", base, fill_xml)
        if key not in self._cache:
            if base >= len(self.xfs):
                raise Unsupported("style index")
            xf = self.xfs[base]
            head_end = xf.index(b">") + 1
            head = set_attr(set_attr(xf[:head_end], b"fillId", str(self.fill(fill_xml)).encode()), b"applyFill", b"1")
            self._cache[key] = self._add_xf(head + xf[head_end:])
        return self._cache[key]

    def _add_xf(self, xf: bytes) -> int:
        self.new_xfs.append(xf)
        return len(self.xfs) + len(self.new_xfs) - 1

    def graft(self, other: bytes) -> dict[int, int]:
        """Add the cell formats of another styles.xml (a workbook openpyxl wrote); {its index: index here}. Its
        format 0 is this workbook's 0 (the default style of the cells)."""
        fonts, fills, borders = (children(other, t) for t in (b"fonts", b"fills", b"borders"))
        mapping = {0: 0}
        for i, xf in enumerate(children(other, b"cellXfs")[1:], start=1):
            head_end = xf.index(b">") + 1
            head = xf[:head_end]
            number = int(_attr(head, b"numFmtId") or 0)
            if number >= 164:
                raise Unsupported("number format")
            font, fill, border = (int(_attr(head, a) or 0) for a in (b"fontId", b"fillId", b"borderId"))
            if font:
                self.new_fonts.append(fonts[font])
                head = set_attr(head, b"fontId", str(self.fonts + len(self.new_fonts) - 1).encode())
            if fill > 1:
                head = set_attr(head, b"fillId", str(self.fill(fills[fill])).encode())
            if border:
                self.new_borders.append(borders[border])
                head = set_attr(head, b"borderId", str(self.borders + len(self.new_borders) - 1).encode())
            mapping[i] = self._add_xf(head + xf[head_end:])
        return mapping

    def result(self) -> bytes:
        data = self.data
        for tag, items in ((b"fonts", self.new_fonts), (b"fills", self.new_fills), (b"borders", self.new_borders),
                           (b"cellXfs", self.new_xfs)):
            if items:
                data, _ = _append(data, tag, items)
        return data


def _attr(tag: bytes, name: bytes) -> bytes | None:
    found = re.search(rb"\s" + name + rb'=(["\'])([^"\']*)\1', tag)
    return found.group(2) if found else None


def relationships(data: bytes | None) -> list[dict]:
    """The relationships of a .rels part: Id, Type, Target, TargetMode."""
    if data is None:
        return []
    root = ElementTree.fromstring(data)
    return [dict(r.attrib) for r in root if r.tag == f"{{{PKG_REL}}}Relationship"]


def add_relationships(data: bytes | None, items: list[tuple[str, str, str]]) -> bytes:
    """A .rels part with the relationships (Id, type, target) added."""
    xml = b"".join(b"<Relationship Id=%s Type=%s Target=%s/>" % tuple(quoteattr(v).encode() for v in item)
                   for item in items)
    if data is None:
        return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
                + PKG_REL.encode() + b'">' + xml + b"</Relationships>")
    close = data.rfind(b"</Relationships>")
    if close < 0:
        raise Unsupported("rels")
    return data[:close] + xml + data[close:]


def new_id(taken: list[dict], stem: str) -> str:
    ids = {r.get("Id") for r in taken}
    n = 1
    while f"{stem}{n}" in ids:
        n += 1
    return f"{stem}{n}"


def resolve(base: str, target: str) -> str:
    """The part a relationship of `base` (a part name, like xl/workbook.xml) points to."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def content_types(data: bytes, overrides: list[tuple[str, str]], defaults: list[tuple[str, str]]) -> bytes:
    """[Content_Types].xml with parts (name, type) and extensions (ext, type) declared, when they are not."""
    root = ElementTree.fromstring(data)
    known = {e.get("Extension", "").lower() for e in root if e.tag == f"{{{CT}}}Default"}
    named = {e.get("PartName", "") for e in root if e.tag == f"{{{CT}}}Override"}
    xml = b"".join(b"<Default Extension=%s ContentType=%s/>" % (quoteattr(ext).encode(), quoteattr(kind).encode())
                   for ext, kind in defaults if ext.lower() not in known)
    xml += b"".join(b"<Override PartName=%s ContentType=%s/>" % (quoteattr("/" + part).encode(),
                                                                  quoteattr(kind).encode())
                    for part, kind in overrides if "/" + part not in named)
    close = data.rfind(b"</Types>")
    if close < 0:
        raise Unsupported("content types")
    return data[:close] + xml + data[close:]


def free_name(names: set[str], pattern: str) -> str:
    n = 1
    while pattern.format(n) in names:
        n += 1
    names.add(pattern.format(n))
    return pattern.format(n)


def text(value: str) -> bytes:
    return escape(value).encode("utf-8")
