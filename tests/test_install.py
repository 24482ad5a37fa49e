"""Installed like software: the wheel's content, the tool run from it in another folder, --version, `init`, and the
order in which the reference data is looked up."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bordereau import __version__
from bordereau.reference.resources import reference_dir, shipped_dir
from cli import app

ROOT = Path(__file__).resolve().parent.parent
LILLE = ROOT / "examples" / "sps-lille-2026-10.xlsx"
runner = CliRunner()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel as `pip wheel .` builds it (hatchling, in-process: a fraction of a second)."""
    hatchling = pytest.importorskip("hatchling.builders.wheel")
    folder = tmp_path_factory.mktemp("dist")
    [path] = hatchling.WheelBuilder(str(ROOT)).build(directory=str(folder), versions=["standard"])
    return Path(path)


def test_the_wheel_holds_every_module_template_and_reference_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "bordereau").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert package and package <= names
    shipped = {"bordereau/_data/centres.yaml"} | {
        f"bordereau/_data/{p.relative_to(ROOT).as_posix()}"
        for folder in ("tarifs", "templates") for p in (ROOT / folder).rglob("*") if p.is_file()}
    assert {"bordereau/_data/templates/check.html.j2", "bordereau/_data/tarifs/taux.yaml"} <= shipped
    assert shipped | {"cli.py"} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "bordereau = cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_unpacked_wheel_works_from_another_folder(wheel: Path, tmp_path: Path):
    """Not the source tree: the package, its templates and its reference data all come from the wheel."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("BORDEREAU_REF", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from cli import main; main()", *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import bordereau.reference.resources as r; print(r.shipped_dir())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(site / "bordereau" / "_data")
    done = run("check", str(LILLE), "--report", "rapport.html", "--today", "2026-11-23")
    assert done.returncode == 0, done.stderr
    assert "60 lignes, 0 erreur" in done.stdout and (elsewhere / "rapport.html").is_file()
    assert run("--version").stdout.strip() == f"bordereau {__version__}"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"bordereau {__version__}\n"
    assert __version__ in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_init_writes_an_editable_copy_and_says_what_to_fill_in(tmp_path: Path):
    target = tmp_path / "departement"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert filecmp.cmp(target / "centres.yaml", shipped_dir() / "centres.yaml", shallow=False)
    assert sorted(p.name for p in (target / "tarifs").iterdir()) == sorted(
        p.name for p in (shipped_dir() / "tarifs").glob("*.yaml"))
    assert "FINESS d'exemple à remplacer dans centres.yaml" in result.stdout
    assert "Prix négociés d'exemple à remplacer dans tarifs/prix_negocies.yaml : GARDASIL 9" in result.stdout
    assert f"BORDEREAU_REF={target}" in result.stdout
    assert [p.name for p in target.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_init_never_writes_over_an_existing_copy(tmp_path: Path):
    target = tmp_path / "departement"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    (target / "centres.yaml").write_text("# mes centres\n", encoding="utf-8")
    (target / "tarifs" / "taux.yaml").unlink()
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2 and "contient déjà centres.yaml et tarifs" in again.stderr
    assert (target / "centres.yaml").read_text(encoding="utf-8") == "# mes centres\n"
    assert not (target / "tarifs" / "taux.yaml").exists()


def test_reference_data_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    here, env_ref, option = (tmp_path / name for name in ("ici", "env", "option"))
    for folder in (here, env_ref, option):
        folder.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("BORDEREAU_REF", raising=False)
    assert reference_dir() == shipped_dir()
    (here / "centres.yaml").write_text("", encoding="utf-8")
    assert reference_dir() == here
    monkeypatch.setenv("BORDEREAU_REF", str(env_ref))
    assert reference_dir() == env_ref
    assert reference_dir(option) == option


def test_commands_read_the_reference_data_of_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BORDEREAU_REF", raising=False)
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    text = (tmp_path / "centres.yaml").read_text(encoding="utf-8")
    (tmp_path / "centres.yaml").write_text(text.replace('cpam: "595"', 'cpam: "598"', 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["check", str(LILLE), "--today", "2026-11-23"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "centres.yaml : centres[7].cpam : CPAM « 598 » absente" in result.stderr
    assert runner.invoke(app, [*args, "--ref", str(shipped_dir())]).exit_code == 0
    monkeypatch.setenv("BORDEREAU_REF", str(shipped_dir()))
    assert runner.invoke(app, args).exit_code == 0
