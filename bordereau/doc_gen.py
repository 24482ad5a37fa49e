"""What the documentation pastes in: transcripts of real commands and the table of finding codes.

The guides in `docs/` hold `[[[cog ... ]]]` blocks that call these functions; `cog -r docs/*.md` regenerates them and
`tests/test_docs.py` fails when one is out of date. A command runs in a fresh process whose output is not a terminal
(so 120 columns, no colour), on the fixed day `DAY`, away from the user's ledger and key.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bordereau.findings import CODES
from bordereau.fixes import fix, meaning

ROOT = Path(__file__).resolve().parents[1]
DAY = "2026-11-23"  # the day every transcript is made on, whatever the machine's date
SEVERITY = {"error": "erreur", "warning": "avertissement"}
_DROPPED = ("FORCE_COLOR", "NO_COLOR", "LINES", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def _today_at(argv: list[str]) -> int | None:
    """Where `--today` goes in `argv`: after the command's words (`check`, `tarifs importer`), or None when that
    command has no such option."""
    import typer

    from cli import app

    found, words = typer.main.get_command(app), 0
    while words < len(argv) and argv[words] in getattr(found, "commands", {}):
        found, words = found.commands[argv[words]], words + 1
    return words if words and any(p.name == "today" for p in found.params) else None


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDEREAU_") and k not in _DROPPED}
    env.update(COLUMNS="120", HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               PYTHONPATH=str(ROOT))
    return env


class Workspace:
    """A scratch folder holding a copy of `examples/` and its own ledger, where commands run one after the other."""

    def __init__(self, ledger: bool = False):
        self._dir = tempfile.TemporaryDirectory(prefix="bordereau-docs-")
        self.path = Path(self._dir.name)
        shutil.copytree(ROOT / "examples", self.path / "examples")
        self.ledger = ledger

    def _spawn(self, args: tuple[str, ...], today: str) -> subprocess.CompletedProcess:
        argv = list(args)
        at = _today_at(argv) if today else None
        if at is not None:
            argv[at:at] = ["--today", today]
        env = _env(self.path / "home")
        if self.ledger:
            env["BORDEREAU_DB"] = str(self.path / "registre.sqlite")
        return subprocess.run([sys.executable, "-c", "from cli import main; main()", *argv], cwd=self.path, env=env,
                              capture_output=True, text=True, encoding="utf-8", timeout=300)

    def run(self, *args: str, today: str = DAY, head: int | None = None, status: bool = False) -> str:
        """`$ bordereau ARGS` and what it prints (standard output, then errors), as a fenced block.

        `head` keeps the first lines only (and says so); `status` adds the exit code, as `echo $?` shows it."""
        done = self._spawn(args, today)
        text = (done.stdout + done.stderr).replace(str(self.path) + os.sep, "")
        lines = [line.rstrip() for line in text.splitlines()]
        if head is not None and len(lines) > head:
            lines = [*lines[:head], f"[… {len(lines) - head} lignes de plus]"]
        if status:
            lines += ["$ echo $?", str(done.returncode)]
        return "```\n$ bordereau " + shlex.join(args) + "\n" + "\n".join(lines) + "\n```\n"

    def excerpt(self, *args: str, today: str = DAY) -> str:
        """`$ bordereau ARGS` for a command that prints JSON, each list cut to its first element (the rest is the
        same shape), as a fenced block."""
        done = self._spawn(args, today)

        def first(value):
            if isinstance(value, dict):
                return {k: first(v) for k, v in value.items()}
            if isinstance(value, list):
                return [first(v) for v in value[:1]]
            return value

        data = first(json.loads(done.stdout))
        return ("```\n$ bordereau " + shlex.join(args) + "\n" + json.dumps(data, ensure_ascii=False, indent=2)
                + "\n```\n")

    def write(self, name: str, text: str) -> str:
        """Put a file in the workspace (a bank statement...) and show it, as a fenced block."""
        (self.path / name).write_text(text, encoding="utf-8")
        return f"`{name}` :\n\n```\n{text.rstrip()}\n```\n\n"

    def show(self, name: str, hidden: tuple[str, ...] = ()) -> str:
        """A JSON file the commands wrote, as a fenced block; the values of the keys in `hidden` (a time of day, a
        file's hash) become "…"."""
        def hide(value):
            if isinstance(value, dict):
                return {k: "…" if k in hidden else hide(v) for k, v in value.items()}
            if isinstance(value, list):
                return [hide(v) for v in value]
            return value

        data = hide(json.loads((self.path / name).read_text(encoding="utf-8")))
        return "```json\n" + json.dumps(data, ensure_ascii=False, indent=2) + "\n```\n"


def transcript(*args: str) -> str:
    """One command run on a fresh copy of the examples."""
    return Workspace().run(*args)


def _example(template: str) -> str:
    """A message template as a reader sees it: each value to fill in becomes « … »."""
    return re.sub(r"\{\w+\}", "…", template)


def codes_table() -> str:
    """Every finding code of the registry, in a table: code (linked to its section), severity, title."""
    rows = ["| Code | Gravité | Signification |", "|---|---|---|"]
    for code, (severity, title, _) in CODES.items():
        rows.append(f"| [`{code}`](#{code.lower()}) | {SEVERITY[str(severity)]} | {title} |")
    return "\n".join(rows) + "\n"


def codes_sections() -> str:
    """Every finding code as a section to link to: title, severity, meaning, the message's shape, « pour corriger »."""
    parts = []
    for code, (severity, title, template) in CODES.items():
        example = _example(template)
        message = f"- Message : « {example} »\n" if example.strip("… ") else ""
        parts.append(f"### {code}\n\n**{title}** ({SEVERITY[str(severity)]}). {meaning(code)}\n\n{message}"
                     f"- Pour corriger : {fix(code)}\n")
    return "\n".join(parts)


AUDIT_ONLY = ("CENTRE_NOT_ATTACHED", "FILE_MODIFIED", "BORDEREAU_SEEN_BEFORE", "REFERENCE_DIFFERS")


def fixes_table(audit: bool = False) -> str:
    """The codes a centre meets (or, with `audit`, those only an audit raises): severity, what is wrong, what to do."""
    rows = ["| Code | Gravité | Ce qui ne va pas | Pour corriger |", "|---|---|---|---|"]
    for code, (severity, _, _) in CODES.items():
        if (code in AUDIT_ONLY) == audit:
            rows.append(f"| [`{code}`](codes.md#{code.lower()}) | {SEVERITY[str(severity)]} | {meaning(code)} | "
                        f"{fix(code)} |")
    return "\n".join(rows) + "\n"


def columns_table() -> str:
    """The columns of the input table, from the reader's own registry: key, required, labels accepted."""
    from bordereau.read.layout import COLUMNS

    rows = ["| Colonne | Obligatoire | Libellés reconnus |", "|---|---|---|"]
    for key, (label, required, labels) in COLUMNS.items():
        need = "oui" if required else "non"
        if key in ("nir", "code_regime"):
            need = "oui, sauf sans droits"
        elif key.startswith("finess_"):
            need = "si absent du bloc d'en-tête"
        rows.append(f"| `{key}` ({label}) | {need} | {', '.join(labels)} |")
    return "\n".join(rows) + "\n"


def coverage_table() -> str:
    """The values of « Prise en charge » the reader recognises, from its own registry."""
    from bordereau.read.lines import COVERAGE_ALIASES
    from bordereau.reference.data import COVERAGE_LABELS

    rows = ["| Prise en charge | Valeurs reconnues |", "|---|---|"]
    for key, aliases in COVERAGE_ALIASES.items():
        rows.append(f"| {COVERAGE_LABELS.get(key, key)} | {', '.join(aliases)} |")
    return "\n".join(rows) + "\n"


def rejection_columns() -> str:
    """The columns of the rejection statement (`audit --xlsx`, read back by `reject`), from their registry."""
    from bordereau.rejections import COLUMNS, SHEET

    rows = [f"Feuille « {SHEET} », une ligne par ligne rejetée :", "",
            "| Colonne écrite | En-têtes reconnus à la lecture |", "|---|---|"]
    for header, accepted in COLUMNS.values():
        rows.append(f"| {header} | {', '.join(accepted)} |")
    return "\n".join(rows) + "\n"


def shipped(name: str, first: str, count: int) -> str:
    """`count` lines of a shipped reference file (`centres.yaml`, `tarifs/...`), from the line that starts with
    `first`, as a fenced block."""
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    return f"`{name}` :\n\n```yaml\n" + "\n".join(lines[start:start + count]) + "\n```\n"
