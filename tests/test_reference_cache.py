"""The validated reference data kept between commands (bordereau/reference/cache.py): what comes out of the cache is
exactly what validating the files gives; a changed, broken or planted file is never believed; a cache that cannot be
written changes nothing but the time."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bordereau.errors import ReferenceDataError
from bordereau.reference import cache
from bordereau.reference import data as reference_data
from bordereau.reference.data import load_reference

ROOT = Path(__file__).resolve().parent.parent


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_second_load_comes_from_the_cache_and_equals_the_files(ref_copy, monkeypatch):
    first = load_reference(ref_copy)
    assert cache.cache_file(ref_copy).is_file()
    monkeypatch.setattr(reference_data, "_load", lambda folder: pytest.fail("validated again"))
    second = load_reference(ref_copy)
    assert second == first
    monkeypatch.undo()
    assert second == reference_data._load(ref_copy)  # the exact path, no cache
    assert second.vaccine_by_code["3005620"] is second.vaccine_by_code["3400930056202"]  # shared objects stay shared
    assert second.folder == ref_copy


def test_the_folder_is_the_one_named_this_time(ref_copy, monkeypatch):
    load_reference(ref_copy)
    monkeypatch.chdir(ref_copy.parent)
    again = load_reference(Path(ref_copy.name))
    assert again.folder == Path(ref_copy.name)


def test_a_changed_file_is_read_again(ref_copy):
    before = load_reference(ref_copy)
    _edit(ref_copy, "tarifs/vaccins.yaml", '2022-06-01: {valeur: "116.86"', '2022-06-01: {valeur: "117.86"')
    after = load_reference(ref_copy)
    assert after != before and after == reference_data._load(ref_copy)
    assert "117.86" in {str(e.value) for e in after.vaccines[0].public_price.entries}


def test_a_file_broken_after_it_was_cached_is_refused(ref_copy):
    load_reference(ref_copy)
    _edit(ref_copy, "tarifs/taux.yaml", 'amo: "65"\n        total: "65"\n        source',
          'amo: "70"\n        total: "65"\n        source')
    with pytest.raises(ReferenceDataError, match="amo <= total"):
        load_reference(ref_copy)


def test_a_new_file_in_tarifs_is_read_again(ref_copy):
    load_reference(ref_copy)
    (ref_copy / "tarifs" / "prix_bdpm.yaml").write_text("observations: [}\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"prix_bdpm\.yaml"):
        load_reference(ref_copy)


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05truncated"])
def test_a_damaged_cache_is_made_again(ref_copy, damage):
    expected = load_reference(ref_copy)
    path = cache.cache_file(ref_copy)
    path.write_bytes(damage)
    assert load_reference(ref_copy) == expected
    assert path.read_bytes() != damage  # written again


def test_a_cache_made_for_other_files_or_code_is_ignored(ref_copy):
    expected = load_reference(ref_copy)
    path = cache.cache_file(ref_copy)
    stale = reference_data._load(ref_copy)
    object.__setattr__(stale, "age_max", 99)
    path.write_bytes(pickle.dumps(("another key", stale)))
    assert load_reference(ref_copy) == expected


class _Planted:
    def __reduce__(self):
        return (os.system, ("touch planted",))


def test_a_planted_file_runs_no_code(ref_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = load_reference(ref_copy)
    path = cache.cache_file(ref_copy)
    key, _ = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps((key, _Planted())))
    assert load_reference(ref_copy) == expected
    assert not (tmp_path / "planted").exists()


def test_an_unwritable_cache_changes_nothing(ref_copy, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert load_reference(ref_copy) == reference_data._load(ref_copy)
    assert load_reference(ref_copy) == reference_data._load(ref_copy)
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_the_cache_file_is_replaced_in_one_rename(ref_copy):
    load_reference(ref_copy)
    folder = cache.cache_file(ref_copy).parent
    assert [p.name for p in folder.iterdir()] == [cache.cache_file(ref_copy).name]  # no temporary file left


def test_a_command_reading_the_cache_needs_neither_yaml_nor_the_schemas(tmp_path):
    """A fresh process, twice: the first validates and keeps, the second reads the cache only."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    script = ("import sys\nfrom bordereau.reference.data import load_reference\nref = load_reference()\n"
              "print(len(ref.centres), 'yaml' in sys.modules, 'bordereau.reference.schema' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=120) for _ in range(2)]
    assert [r.stdout.split() for r in runs] == [["10", "True", "True"], ["10", "False", "False"]], runs[1].stderr
