"""`audit --json`'s lines written from the columns (issue 12: `_line_texts`, each distinct combination of values encoded
once) are exactly the compact JSON of the reference path (`_lines`, one dictionary per line), on workbooks made by
code: clean, with rejected lines and observations, odd line numbers, fuzzed, the examples."""

from __future__ import annotations

import json
from pathlib import Path

from fuzzing import cases, write_case
from test_audit_ledger import DOSES, TODAY, exported, odd_line_numbers, with_rejected

from bordereau.audit import rows
from bordereau.audit.history import MemoryHistory
from bordereau.audit.lines import OBSERVATION, REJECTED, ordered
from bordereau.audit.run import audit_files
from bordereau.render import audit_json

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def statement_rows_per_line(audit, verdict: str) -> list[dict]:
    """The reference: `rows.statement_rows` as it was before issue 12, a pandas row per line."""
    lines = audit.lines
    severity, amount = ("error", "rejected") if verdict == REJECTED else ("warning", "accepted")
    out = []
    for i in lines.index[lines["verdict"].eq(verdict)] if len(lines) else []:
        line = lines.loc[i]
        found = [f for f in ordered(audit.touching[i], int(line["row"])) if f.severity == severity]
        main = found[0]
        out.append({
            "bordereau": line["bordereau"], "ligne": rows.line_number(line["ligne"], line["row"]),
            "beneficiaire": rows.beneficiary(line["nom"], line["prenom"], line["nir"]),
            "code": main.code, "motif": " ; ".join(dict.fromkeys(f.message for f in found)),
            "montant": rows.from_cents(int(line[amount])), "fichier": line["path"],
            "cellule": f"{main.sheet}!{main.cell}" if main.cell else main.sheet or "",
        })
    return out


def same_as_reference(audit) -> None:
    for verdict in (REJECTED, OBSERVATION):
        assert rows.statement_rows(audit, verdict) == statement_rows_per_line(audit, verdict)
    reference = ["{" + ",".join(f'"{k}":{json.dumps(v, ensure_ascii=False)}' for k, v in line.items()) + "}"
                 for line in audit_json._lines(audit)]  # no space between fields, the codes' list as json.dumps has it
    assert audit_json._line_texts(audit) == reference
    assert json.loads(audit_json.dumps(audit)) == json.loads(json.dumps(audit_json.audit_json(audit)))
    assert audit_json.dumps(audit) == dumps_reference(audit)


def dumps_reference(audit) -> str:
    """The reference text: json.dumps(indent=1) of the whole document, the lines put in its place afterwards."""
    marker = "\u0000lines\u0000"
    head = json.dumps({**audit_json.audit_json(audit, lines=False), "lines": marker}, ensure_ascii=False, indent=1)
    texts = audit_json._line_texts(audit)
    return head.replace(json.dumps(marker), "[\n  " + ",\n  ".join(texts) + "\n ]" if texts else "[]", 1)


def test_lines_from_the_columns_are_the_reference_lines(ref, tmp_path: Path):
    folder = exported(ref, tmp_path, DOSES)
    odd_line_numbers(folder)
    audit = audit_files(with_rejected(ref, tmp_path, folder), ref, TODAY, "595", MemoryHistory())
    assert {"accepté", "rejeté"} <= set(audit.lines["verdict"]) and len(audit.lines) > 20
    same_as_reference(audit)
    for path in sorted(EXAMPLES.glob("*.xlsx")):  # errors, warnings (observations), several codes on a line
        same_as_reference(audit_files([path], ref, TODAY, None))
    together = audit_files(sorted(EXAMPLES.glob("*.xlsx")), ref, TODAY, "595")  # several bordereaux, other caisses
    assert len(set(together.lines["bordereau"])) > 1
    same_as_reference(together)
    elsewhere = audit_files([folder], ref, TODAY, "594")  # CENTRE_NOT_ATTACHED: every line rejected, one finding
    assert set(elsewhere.lines["verdict"]) == {REJECTED}
    same_as_reference(elsewhere)


def test_lines_from_the_columns_on_fuzzed_workbooks(ref, tmp_path: Path):
    for name, suffix, make in cases(1213, 25):
        same_as_reference(audit_files([write_case(tmp_path, name, suffix, make)], ref, TODAY, "595"))


def test_an_export_folder_is_read_once(ref, tmp_path: Path, monkeypatch):
    """Its manifest is parsed once by the checks (once more by `audit_inputs`, which lists the bordereaux), and the
    bordereau's SHA-256 is computed once for its presentation and FILE_MODIFIED."""
    folder = exported(ref, tmp_path, DOSES[:3])
    reads: list[str] = []
    for method in ("read_text", "read_bytes"):
        original = getattr(Path, method)

        def counted(self, *args, original=original, **kwargs):
            reads.append(self.name)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Path, method, counted)
    audit = audit_files([folder], ref, TODAY, "595", MemoryHistory())
    [sheet] = folder.glob("HPV-*.xlsx")
    assert reads.count("manifest.json") == 2 and reads.count(sheet.name) <= 2  # the reader's own read, the digest
    assert audit.digests and not [f for f in audit.findings if f.code == "FILE_MODIFIED"]
