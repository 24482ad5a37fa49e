"""The annotated copy of an xlsx made by editing its parts: the zip is copied part by part, and only what changes is
rewritten. In each annotated sheet, the `s` (format) attribute of the faulty cells (a cell missing from the XML is
added, empty); its comments and their drawing (VML) as new parts; styles.xml gains the formats; the « Anomalies »
sheet, made by openpyxl in a workbook of its own, is grafted in as the first sheet (its formats added to styles.xml,
its strings inline). Every other part, formulas, images, data validations, other sheets, stays byte for byte, but for
the `tabSelected` flag of the sheets (only « Anomalies » is selected).

What this road cannot do (a sheet that already has comments, parts with prefixed element names, a format it does not
recognise...) raises Unsupported, and annotate.py takes the openpyxl road, which rewrites the whole workbook.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from defusedxml import ElementTree
from openpyxl.comments import Comment
from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from bordereau.findings import Finding
from bordereau.render import annotate_sheet as sheet_xml
from bordereau.render import xlsx_parts as parts
from bordereau.render.xlsx import clean
from bordereau.render.xlsx_parts import Unsupported

ERROR_FILL = (b'<fill><patternFill patternType="solid"><fgColor rgb="00FF8080"/><bgColor rgb="00000000"/>'
              b"</patternFill></fill>")
WARNING_FILL = (b'<fill><patternFill patternType="solid"><fgColor rgb="00FFC000"/><bgColor rgb="00000000"/>'
                b"</patternFill></fill>")
WORKBOOK = "xl/workbook.xml"


@dataclass
class Sheet:
    name: str
    part: str
    data: bytes | None = None
    cells: dict = field(default_factory=dict)  # (row, column) -> findings
    merged: list = field(default_factory=list)  # merged ranges (first row, first column, last row, last column)


def _sheets(archive: zipfile.ZipFile) -> tuple[list[Sheet], bytes, list[dict]]:
    workbook = archive.read(WORKBOOK)
    root = ElementTree.fromstring(workbook)
    if root.tag != f"{{{parts.MAIN}}}workbook":
        raise Unsupported("workbook namespace")
    rels = parts.relationships(archive.read(parts.rels_of(WORKBOOK)))
    targets = {r["Id"]: parts.resolve(WORKBOOK, r["Target"]) for r in rels}
    found = root.find(f"{{{parts.MAIN}}}sheets")
    sheets = [Sheet(s.get("name", ""), targets.get(s.get(f"{{{parts.REL}}}id", ""), "")) for s in found]
    names = set(archive.namelist())
    if any(s.part not in names for s in sheets):
        raise Unsupported("chart sheet or missing part")
    return sheets, workbook, rels


def comment_parts(cells: dict[tuple[int, int], list[Finding]]) -> tuple[bytes, bytes]:
    """The comments part and its VML drawing, as openpyxl writes them."""
    records = []
    for (r, c), items in sorted(cells.items()):
        text = "\n".join(f"{'Erreur' if f.severity == 'error' else 'Avertissement'} {f.code} : {f.message}"
                         for f in items)
        comment = Comment(clean(text), "bordereau", width=320, height=40 + 40 * len(items))
        records.append(CommentRecord.from_cell(SimpleNamespace(_comment=comment,
                                                               coordinate=f"{get_column_letter(c)}{r}")))
    sheet = CommentSheet.from_comments(records)
    vml = sheet.write_shapes(None)
    return tostring(sheet.to_tree()), vml if isinstance(vml, bytes) else vml.encode("utf-8")


def findings_by_cell(sheets: list[Sheet], findings: list[Finding], archive: zipfile.ZipFile) -> list[Sheet]:
    """The sheets to annotate, each with its cells' findings (a cell inside merged cells: the range's first)."""
    by_name = {s.name: s for s in sheets}
    todo: dict[str, Sheet] = {}
    for f in findings:
        sheet = by_name.get(f.sheet)
        if sheet is None or not f.cell:
            continue
        if sheet.data is None:
            sheet.data = archive.read(sheet.part)
            sheet.merged = sheet_xml.anchors(sheet.data)
        todo[sheet.name] = sheet
        sheet.cells.setdefault(sheet_xml.anchor(sheet.merged, *sheet_xml.split(f.cell)), []).append(f)
    return list(todo.values())


def anomalies_parts(book_bytes: bytes) -> tuple[bytes, bytes | None, bytes, bytes]:
    """From the workbook openpyxl wrote with only « Anomalies »: its sheet (strings inline), the sheet's
    relationships, its styles, and its workbook.xml (for the print titles and area)."""
    with zipfile.ZipFile(io.BytesIO(book_bytes)) as small:
        names = set(small.namelist())
        sheet = small.read("xl/worksheets/sheet1.xml")
        rels_name = "xl/worksheets/_rels/sheet1.xml.rels"
        rels = small.read(rels_name) if rels_name in names else None
        strings = []
        if "xl/sharedStrings.xml" in names:
            sst = small.read("xl/sharedStrings.xml")
            strings = re.findall(rb"<si>(.*?)</si>", sst, re.S)
        sheet = re.sub(rb'<c\b([^>]*?)\st="s"([^>]*)><v>([0-9]+)</v></c>',
                       lambda m: b"<c" + m.group(1) + b' t="inlineStr"' + m.group(2) + b"><is>"
                       + strings[int(m.group(3))] + b"</is></c>", sheet)
        return sheet, rels, small.read("xl/styles.xml"), small.read(WORKBOOK)


def restyle(sheet: bytes, mapping: dict[int, int]) -> bytes:
    return re.sub(rb'(<(?:c|row)\b[^>]*?\ss=")([0-9]+)"',
                  lambda m: m.group(1) + str(mapping[int(m.group(2))]).encode() + b'"', sheet)


def defined_names(workbook: bytes, small_workbook: bytes) -> bytes:
    """workbook.xml's defined names moved one sheet on (a sheet comes first), plus « Anomalies »' own."""
    workbook = re.sub(rb'(<definedName\b[^>]*?\slocalSheetId=")([0-9]+)"',
                      lambda m: m.group(1) + str(int(m.group(2)) + 1).encode() + b'"', workbook)
    own = re.findall(rb"<definedName\b[^>]*>.*?</definedName>", small_workbook, re.S)
    if not own:
        return workbook
    if b"<definedNames>" in workbook:
        at = workbook.index(b"<definedNames>") + len(b"<definedNames>")
        return workbook[:at] + b"".join(own) + workbook[at:]
    for after in (b"</externalReferences>", b"</functionGroups>", b"</sheets>"):
        if after in workbook:
            at = workbook.index(after) + len(after)
            return workbook[:at] + b"<definedNames>" + b"".join(own) + b"</definedNames>" + workbook[at:]
    raise Unsupported("defined names")


def add_sheet(workbook: bytes, name: str, rel_id: str, sheet_ids: list[int]) -> bytes:
    """workbook.xml with the sheet `name` first, shown when the workbook opens."""
    root = re.search(rb"<workbook\b[^>]*>", workbook)
    prefix = re.search(rb'xmlns:([\w.-]+)="' + parts.REL.encode() + b'"', root.group(0)) if root else None
    if prefix is None:
        raise Unsupported("workbook relationships prefix")
    _, open_end, _ = parts.block(workbook, b"sheets")
    entry = b'<sheet name="%s" sheetId="%d" %s:id="%s"/>' % (
        parts.text(name), max(sheet_ids, default=0) + 1, prefix.group(1), rel_id.encode())
    workbook = workbook[:open_end] + entry + workbook[open_end:]
    view = re.search(rb"<workbookView\b[^>]*>", workbook)
    if view:
        head = parts.drop_attr(parts.drop_attr(view.group(0), b"activeTab"), b"firstSheet")
        workbook = workbook[:view.start()] + head + workbook[view.end():]
    return workbook


def write_zip(target: Path, source: zipfile.ZipFile, replaced: dict[str, bytes | list | None],
              added: dict[str, bytes]) -> None:
    """The copy: each part of `source` (or its replacement, in place), then the new parts. A replacement may be a
    list of pieces (a sheet's XML, rewritten by annotate_sheet): they are compressed one after the other, never
    joined into one copy of the sheet."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in source.infolist():
            data = replaced[info.filename] if info.filename in replaced else source.read(info)
            if data is None:  # a part written later (Copy.stamp)
                continue
            if isinstance(data, list):
                _write_pieces(out, info.filename, data)
            else:
                out.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in added.items():
            out.writestr(name, data)


def _write_pieces(out: zipfile.ZipFile, name: str, pieces: list[bytes | memoryview]) -> None:
    """A part made of `pieces`, written as writestr writes the joined bytes (same entry, same header)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type, info._compresslevel = zipfile.ZIP_DEFLATED, out.compresslevel
    info.external_attr = 0o600 << 16
    info.file_size = sum(len(p) for p in pieces)
    with out.open(info, "w") as entry:
        for piece in pieces:
            entry.write(piece)


def _sheet_ids(workbook: bytes) -> list[int]:
    return [int(x) for x in re.findall(rb'<sheet\b[^>]*?\ssheetId="([0-9]+)"', workbook)]



CUSTOM = "docProps/custom.xml"
MAX_SMALL_PART = 8 * 2**20  # bytes: workbook.xml, styles.xml, relationships, custom properties are small
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


@dataclass
class Copy:
    """An annotated copy ready to be written: the source's parts, those replaced and those added."""
    source: Path
    replaced: dict[str, bytes]
    added: dict[str, bytes]
    custom: bytes | None  # the source's custom properties, to which the provenance record is added

    def write(self, target: Path) -> None:
        with zipfile.ZipFile(self.source) as archive:
            write_zip(target, archive, self.replaced, self.added)

    def stamp(self, target: Path, prop: str, value: str) -> None:
        """Add the custom properties part, with `prop` set to `value`, as the copy's last part."""
        data = self.custom or (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="'
                               b'http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                               b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                               b"</Properties>")
        data = re.sub(rb"<property\b[^>]*\sname=\"" + parts.text(prop) + rb"\"[^>]*>.*?</property>", b"", data,
                      flags=re.S)
        pid = max([int(x) for x in re.findall(rb'\spid="([0-9]+)"', data)] + [1]) + 1
        entry = b'<property fmtid="%s" pid="%d" name="%s"><vt:lpwstr>%s</vt:lpwstr></property>' % (
            FMTID.encode(), pid, parts.text(prop), parts.text(value))
        close = data.rindex(b"</Properties>")
        with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as out:
            out.writestr(CUSTOM, data[:close] + entry + data[close:])


def prepare(source: Path, findings: list[Finding], anomalies: bytes, name: str) -> Copy:
    """Plan the copy of `source` with its faulty cells filled and commented and `anomalies` (a workbook openpyxl
    wrote, holding only the sheet `name`) first. Raises Unsupported when only openpyxl can do it."""
    with zipfile.ZipFile(source) as archive:
        names = set(archive.namelist())
        if any(info.file_size > MAX_SMALL_PART and (info.filename in (WORKBOOK, "xl/styles.xml", CUSTOM)
                                                    or info.filename.endswith(".rels")) for info in archive.infolist()):
            raise Unsupported("a large part these edits would scan")  # hostile, or unusual: openpyxl's road
        sheets, workbook, workbook_rels = _sheets(archive)
        if b"<x:" in workbook[:2000] or "xl/styles.xml" not in names:
            raise Unsupported("prefixed workbook")
        styles = parts.Styles(archive.read("xl/styles.xml"))
        replaced: dict[str, bytes] = {}
        added: dict[str, bytes] = {}
        overrides, defaults = [], []
        fills = {"error": ERROR_FILL, "warning": WARNING_FILL}
        for sheet in findings_by_cell(sheets, findings, archive):
            rels_name = parts.rels_of(sheet.part)
            rels_data = archive.read(rels_name) if rels_name in names else None
            rels = parts.relationships(rels_data)
            if any(r.get("Type", "").endswith(("/comments", "/vmlDrawing")) for r in rels):
                raise Unsupported("comments already")
            wanted = {cell: fills["error" if any(f.severity == "error" for f in items) else "warning"]
                      for cell, items in sheet.cells.items()}
            comments, vml = comment_parts(sheet.cells)
            comments_name = parts.free_name(names, "xl/comments/comment{}.xml")
            vml_name = parts.free_name(names, "xl/drawings/commentsDrawing{}.vml")
            vml_id = parts.new_id(rels, "rIdVml")
            data = sheet_xml.rewrite_sheet(sheet.data, wanted, styles, vml_id)
            folder = sheet.part.rsplit("/", 1)[0]
            replaced[rels_name] = parts.add_relationships(rels_data, [
                (parts.new_id(rels, "rIdComments"), parts.REL + "/comments", _relative(folder, comments_name)),
                (vml_id, parts.REL + "/vmlDrawing", _relative(folder, vml_name))])
            if rels_data is None:
                added[rels_name] = replaced.pop(rels_name)
            replaced[sheet.part], added[comments_name], added[vml_name] = data, comments, vml
            overrides.append((comments_name, parts.COMMENTS_TYPE))
            defaults.append(("vml", parts.VML_TYPE))
        for sheet in sheets:
            if sheet.part not in replaced:
                changed = sheet_xml.unselect_pieces(archive.read(sheet.part))
                if changed is not None:
                    replaced[sheet.part] = changed
        own_xml, sheet_rels, small_styles, small_workbook = anomalies_parts(anomalies)
        own_xml = restyle(own_xml, styles.graft(small_styles))
        part = parts.free_name(names, "xl/worksheets/sheet{}.xml")
        rel_id = parts.new_id(workbook_rels, "rId")
        replaced[parts.rels_of(WORKBOOK)] = parts.add_relationships(
            archive.read(parts.rels_of(WORKBOOK)), [(rel_id, parts.REL + "/worksheet", _relative("xl", part))])
        added[part] = own_xml
        if sheet_rels is not None:
            added[parts.rels_of(part)] = sheet_rels
        overrides.append((part, parts.WORKSHEET_TYPE))
        workbook = add_sheet(defined_names(workbook, small_workbook), name, rel_id, _sheet_ids(workbook))
        replaced[WORKBOOK] = workbook
        replaced["xl/styles.xml"] = styles.result()
        custom = archive.read(CUSTOM) if CUSTOM in names else None
        if custom is None:
            root_rels = archive.read("_rels/.rels")
            taken = parts.relationships(root_rels)
            replaced["_rels/.rels"] = parts.add_relationships(
                root_rels, [(parts.new_id(taken, "rIdCustom"), CUSTOM_REL, CUSTOM)])
            overrides.append((CUSTOM, parts.CUSTOM_TYPE))
        elif not custom.lstrip().startswith(b"<?xml") or b"</Properties>" not in custom:
            raise Unsupported("custom properties")
        else:
            replaced[CUSTOM] = None  # written last, by stamp
        replaced["[Content_Types].xml"] = parts.content_types(archive.read("[Content_Types].xml"), overrides,
                                                              defaults)
    return Copy(source, replaced, added, custom)


def _relative(folder: str, part: str) -> str:
    import posixpath

    return posixpath.relpath(part, folder)


def sheet_list(source: Path) -> list[Sheet]:
    with zipfile.ZipFile(source) as archive:
        return _sheets(archive)[0]
