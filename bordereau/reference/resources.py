"""Where the shipped files are, and which reference data a command reads.

An installed wheel carries the templates and an example copy of the reference data inside the package
(`bordereau/_data/`, mapped there at build time, see pyproject.toml); a source checkout keeps them at the repository
root. The reference data belongs to the Département that runs the tool: a command reads, in this order, `--ref DIR`,
`$BORDEREAU_REF`, a `centres.yaml` in the current folder, and only then the shipped copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from bordereau.errors import UsageError

REFERENCE_FILES = ("centres.yaml", "tarifs")


def shipped_dir() -> Path:
    """The folder holding `centres.yaml`, `tarifs/` and `templates/` as shipped with this copy of the tool."""
    packaged = resources.files("bordereau") / "_data"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2]  # a source checkout: the repository root


def templates_dir() -> Path:
    return shipped_dir() / "templates"


def reference_dir(ref: Path | None = None) -> Path:
    """The reference data folder a command reads: `ref`, `$BORDEREAU_REF`, the current folder when it holds a
    `centres.yaml`, then the shipped copy."""
    if ref:
        return Path(ref)
    if os.environ.get("BORDEREAU_REF"):
        return Path(os.environ["BORDEREAU_REF"]).expanduser()
    here = Path.cwd()
    if (here / "centres.yaml").is_file():
        return here
    return shipped_dir()


def init_reference(target: Path) -> Path:
    """Write an editable copy of the shipped reference data into `target` (created if needed); never over an
    existing copy. The files appear together or not at all."""
    target = Path(target)
    present = [name for name in REFERENCE_FILES if (target / name).exists()]
    if present:
        raise UsageError(f"{target} contient déjà {' et '.join(present)} : rien n'a été écrit "
                         "(choisissez un autre dossier)")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} existe et n'est pas un dossier")
    target.mkdir(parents=True, exist_ok=True)
    source = shipped_dir()
    staging = Path(tempfile.mkdtemp(prefix=".bordereau-init.", dir=target))
    try:
        shutil.copy2(source / "centres.yaml", staging / "centres.yaml")
        shutil.copytree(source / "tarifs", staging / "tarifs", ignore=shutil.ignore_patterns("__pycache__"))
        for name in REFERENCE_FILES:
            os.replace(staging / name, target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
