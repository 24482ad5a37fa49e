"""Self-contained HTML pages (jinja2 templates in templates/, inline CSS, no external assets)."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bordereau import __version__, clock
from bordereau.check.model import CheckResult
from bordereau.findings import title
from bordereau.fixes import fix
from bordereau.identifiers import hide_nirs
from bordereau.reference.resources import templates_dir

TEMPLATES = templates_dir()
MAX_PER_FILE = 5000


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def data(name: str) -> dict:
    """A YAML file kept beside the templates (the PDF texts, the rejection motives), through the same loader."""
    import yaml

    env = environment()
    source, _, _ = env.loader.get_source(env, name)
    return yaml.safe_load(source)


def render(template: str, **context: object) -> str:
    now = clock.now().strftime("%d/%m/%Y à %H:%M")
    return environment().get_template(template).render(version=__version__, generated=now, **context)


def check_report(result: CheckResult) -> str:
    pupils = {(hide_nirs(p), hide_nirs(s), r): name for (p, s, r), name in result.pupils().items()}
    result = result.shown()
    counts = Counter((f.code, f.severity) for f in result.findings)
    by_code = [{"code": c, "severity": s, "title": title(c), "count": n, "fix": fix(c)}
               for (c, s), n in sorted(counts.items(), key=lambda kv: (kv[0][1] != "error", -kv[1], kv[0][0]))]
    groups = []
    for path, items in groupby(result.findings, key=lambda f: f.path):
        items = list(items)
        shown = [{"f": f, "pupil": pupils.get((f.path, f.sheet, f.row), ""), "fix": fix(f.code)}
                 for f in items[:MAX_PER_FILE]]
        groups.append({"path": path, "findings": shown, "more": max(0, len(items) - MAX_PER_FILE)})
    return render("check.html.j2", files=result.files, lines=sum(f.lines for f in result.files),
                  errors=result.errors, warnings=result.warnings, by_code=by_code, groups=groups)
