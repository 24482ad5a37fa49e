"""Reference data: centres.yaml and tarifs/, loaded and validated once into typed, read-only objects.

A bad entry raises ReferenceDataError naming the file and the key, e.g. ``tarifs/taux.yaml : baremes[0].regles[2].amo``.
Every lookup is by date: a price or a rate applies from its date until the next one.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bordereau import identifiers
from bordereau.errors import ReferenceDataError
from bordereau.identifiers import finess_compact, finess_problem, vaccine_code_problem
from bordereau.reference import cache
from bordereau.reference.resources import shipped_dir

COVERAGES = ("droit_commun", "ald", "ame", "c2s", "sans_droits")
COVERAGE_LABELS = {
    "droit_commun": "droit commun",
    "ald": "ALD",
    "ame": "AME",
    "c2s": "C2S",
    "sans_droits": "sans droits",
}
DEFAULT_REF_DIR = shipped_dir()


@dataclass(frozen=True)
class Dated:
    """A value from a date on, with the text it comes from."""

    start: dt.date
    value: Decimal
    source: str
    example: bool = False


@dataclass(frozen=True)
class Series:
    """Dated values; `at(day)` is the one in force that day, None before the first."""

    entries: tuple[Dated, ...]

    def at(self, day: dt.date) -> Dated | None:
        i = bisect.bisect_right([e.start for e in self.entries], day)
        return self.entries[i - 1] if i else None

    def nearest(self, day: dt.date) -> tuple[Dated | None, bool]:
        """The value in force that day, else (before the first) the first one; and whether it was assumed so."""
        found = self.at(day)
        if found is None and self.entries:
            return self.entries[0], True
        return found, False


@dataclass(frozen=True)
class Cpam:
    code: str
    nom: str
    nom_court: str
    email: str
    adresse: str = ""


@dataclass(frozen=True)
class Departement:
    """The legal entity that bills: its FINESS juridique and who certifies its bordereaux."""

    code: str
    nom: str
    raison_sociale: str
    finess_juridique: str
    signataire: str  # the signatory's name
    qualite: str  # and role
    example_signatory: bool = False


@dataclass(frozen=True)
class Centre:
    nom: str
    ville: str
    departement: str
    cpam: str
    finess_geographique: str
    finess_juridique: str
    example_finess: bool
    adresse: str = ""
    telephone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Presentation:
    """One box of a vaccine in the BDPM: its codes (CIP13 first, then CIP7, UCD13, UCD7) and its public prices."""

    cip13: str
    codes: tuple[str, ...]
    public_price: Series


@dataclass(frozen=True)
class Vaccine:
    nom: str
    classe: str
    codes: tuple[str, ...]  # of every presentation
    cip13: str  # the first presentation's: the vaccine's identity in duplicates and in the ledger
    doses_per_pack: int
    public_price: Series  # the first presentation's
    presentations: tuple[Presentation, ...] = ()
    cis: tuple[str, ...] = ()

    def presentation(self, code: str) -> Presentation:
        return next(p for p in self.presentations if code in p.codes)


@dataclass(frozen=True)
class RateRule:
    motif: str
    amo: Decimal
    total: Decimal
    classes: frozenset[str] | None = None
    coverages: frozenset[str] | None = None
    regimes: frozenset[str] | None = None
    under_age: int | None = None
    source: str = ""

    def matches(self, classe: str, coverage: str, regime: str | None, age: int | None) -> bool:
        return (
            (self.classes is None or classe in self.classes)
            and (self.coverages is None or coverage in self.coverages)
            and (self.regimes is None or regime in self.regimes)
            and (self.under_age is None or (age is not None and age < self.under_age))
        )


@dataclass(frozen=True)
class RateSet:
    start: dt.date
    reference: str
    rules: tuple[RateRule, ...]
    end: dt.date | None = None  # last day in force (`au`), None: until the next rate set

    def rule_for(self, classe: str, coverage: str, regime: str | None, age: int | None) -> RateRule | None:
        return next((r for r in self.rules if r.matches(classe, coverage, regime, age)), None)


@dataclass(frozen=True)
class DoseSchedule:
    min_interval_months: int
    max_doses: int
    catch_up_age: int | None = None
    max_doses_catch_up: int | None = None


@dataclass(frozen=True)
class Reference:
    folder: Path
    cpams: dict[str, Cpam]
    centres: tuple[Centre, ...]
    legal_entities: dict[str, tuple[str, bool]]  # département code -> (FINESS juridique, example?)
    vaccines: tuple[Vaccine, ...]
    negotiated: dict[tuple[str, str], Series]  # (département, cip13) -> prices
    rate_sets: tuple[RateSet, ...]
    schedules: dict[str, DoseSchedule]
    age_min: int
    age_max: int
    regimes: dict[str, str]
    centre_by_finess: dict[str, Centre] = field(default_factory=dict)
    vaccine_by_code: dict[str, Vaccine] = field(default_factory=dict)
    departements: dict[str, Departement] = field(default_factory=dict)
    presentation_by_code: dict[str, Presentation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.centre_by_finess.update({c.finess_geographique: c for c in self.centres})
        self.vaccine_by_code.update({code: v for v in self.vaccines for code in v.codes})
        self.presentation_by_code.update({code: p for v in self.vaccines for p in v.presentations for code in p.codes})

    @property
    def digest(self) -> str:
        """SHA-256 of the reference data (centres.yaml and every file of tarifs/, by relative path and content)."""
        return reference_digest(self.folder)

    def rate_set_at(self, day: dt.date) -> RateSet | None:
        i = bisect.bisect_right([s.start for s in self.rate_sets], day)
        found = self.rate_sets[i - 1] if i else None
        return None if found is None or (found.end is not None and day > found.end) else found

    def example_notices(self, centres: set[str] | None = None) -> list[str]:
        """French sentences naming the example values still in the reference data (for `centres`, FINESS
        géographiques, when given)."""
        notices = []
        concerned = [c for c in self.centres if centres is None or c.finess_geographique in centres]
        finess = [c.nom for c in concerned if c.example_finess]
        departements = {c.departement for c in concerned}
        finess += [f"entité juridique du département {code}" for code, (_, ex) in self.legal_entities.items()
                   if ex and code in departements]
        if finess:
            notices.append(f"FINESS d'exemple à remplacer dans centres.yaml : {', '.join(finess)}.")
        signatories = [d.raison_sociale for code, d in sorted(self.departements.items())
                       if d.example_signatory and code in departements]
        if signatories:
            notices.append(f"Signataire d'exemple à remplacer dans centres.yaml : {', '.join(signatories)}.")
        prices = sorted(
            {v.nom for v in self.vaccines for (d, c), s in self.negotiated.items() if c in v.codes
             if any(e.example for e in s.entries)}
        )
        if prices:
            notices.append(f"Prix négociés d'exemple à remplacer dans tarifs/prix_negocies.yaml : {', '.join(prices)}.")
        return notices


# -- loading ----------------------------------------------------------------------------------------------------


class _Reader:
    """Reads one YAML file and reports any problem with the file name and the key path."""

    def __init__(self, folder: Path, name: str):
        import yaml  # only when the files are read: a command finds them in the cache (reference/cache.py)

        from bordereau.reference import schema

        self.name = name
        path = folder / name
        try:
            self.data = schema.load_yaml(path.read_text(encoding="utf-8"), name)
        except FileNotFoundError:
            raise ReferenceDataError(f"{name} : fichier introuvable dans {folder}") from None
        except UnicodeDecodeError:
            raise ReferenceDataError(f"{name} : YAML illisible (le fichier n'est pas enregistré en UTF-8)") from None
        except yaml.YAMLError as exc:  # the line to open in the editor, as the person who typed it counts them
            mark = getattr(exc, "problem_mark", None)
            where = f", ligne {mark.line + 1}" if mark is not None else ""
            raise ReferenceDataError(f"{name} : YAML illisible{where} (guillemet, crochet ou indentation ?)") from None
        if not isinstance(self.data, dict):
            raise ReferenceDataError(f"{name} : le fichier doit contenir un dictionnaire")
        schema.validate(name, self.data)

    def fail(self, key: str, problem: str) -> ReferenceDataError:
        return ReferenceDataError(f"{self.name} : {key} : {problem}")

    def get(self, node: dict, key: str, where: str, kind: type | tuple = str, required: bool = True) -> Any:
        if not isinstance(node, dict):
            raise self.fail(where, "un dictionnaire est attendu")
        if key not in node or node[key] is None:
            if required:
                raise self.fail(f"{where}.{key}".lstrip("."), "valeur manquante")
            return None
        value = node[key]
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{key}".lstrip("."), f"type inattendu ({type(value).__name__})")
        return value

    def items(self, node: dict, key: str, where: str = "") -> list:
        value = self.get(node, key, where, list)
        return list(enumerate(value))

    def decimal(self, node: dict, key: str, where: str) -> Decimal:
        raw = self.get(node, key, where, str)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.fail(f"{where}.{key}", f"« {raw} » n'est pas un nombre décimal") from None
        if value < 0:
            raise self.fail(f"{where}.{key}", "montant négatif")
        return value

    def series(self, node: dict, key: str, where: str) -> Series:
        raw = self.get(node, key, where, dict)
        entries = []
        for start, entry in raw.items():
            here = f"{where}.{key}.{start}"
            if not isinstance(start, dt.date):
                raise self.fail(here, "la clé doit être une date AAAA-MM-JJ")
            value = self.decimal(entry, "valeur", here)
            if value != value.quantize(Decimal("0.01")):
                raise self.fail(here, "un prix a au plus deux décimales")
            source = self.get(entry, "source", here)
            entries.append(Dated(start, value.quantize(Decimal("0.01")), source, bool(entry.get("exemple"))))
        if not entries:
            raise self.fail(f"{where}.{key}", "au moins une valeur datée est attendue")
        return Series(tuple(sorted(entries, key=lambda e: e.start)))


def _finess(reader: _Reader, node: dict, key: str, where: str) -> tuple[str, bool]:
    entry = reader.get(node, key, where, dict)
    number = finess_compact(reader.get(entry, "numero", f"{where}.{key}"))
    problem = finess_problem(number)
    if problem:
        raise reader.fail(f"{where}.{key}.numero", f"FINESS « {number} » invalide : {problem}")
    return number, bool(entry.get("exemple"))


def _load_centres(folder: Path) -> tuple[dict, tuple, dict, dict]:
    r = _Reader(folder, "centres.yaml")
    cpams = {}
    for i, node in r.items(r.data, "cpam"):
        where = f"cpam[{i}]"
        code = r.get(node, "code", where)
        cpams[code] = Cpam(code, r.get(node, "nom", where), r.get(node, "nom_court", where),
                           r.get(node, "email", where), r.get(node, "adresse", where, required=False) or "")
    entities, departements = {}, {}
    for i, node in r.items(r.data, "departements"):
        where = f"departements[{i}]"
        code = r.get(node, "code", where)
        entities[code] = _finess(r, node, "finess_juridique", where)
        signatory = r.get(node, "signataire", where, dict, required=False) or {}
        nom = r.get(node, "nom", where)
        departements[code] = Departement(
            code, nom, r.get(node, "raison_sociale", where, required=False) or f"Département {nom}", entities[code][0],
            r.get(signatory, "nom", f"{where}.signataire", required=False) or "",
            r.get(signatory, "qualite", f"{where}.signataire", required=False) or "",
            bool(signatory.get("exemple")))
    centres = []
    for i, node in r.items(r.data, "centres"):
        where = f"centres[{i}]"
        cpam, dept = r.get(node, "cpam", where), r.get(node, "departement", where)
        if cpam not in cpams:
            raise r.fail(f"{where}.cpam", f"CPAM « {cpam} » absente de la liste cpam")
        if dept not in entities:
            raise r.fail(f"{where}.departement", f"département « {dept} » absent de la liste departements")
        geo, example = _finess(r, node, "finess_geographique", where)
        legal, legal_example = entities[dept]
        extra = {k: r.get(node, k, where, required=False) or "" for k in ("adresse", "telephone", "email")}
        centres.append(Centre(r.get(node, "nom", where), r.get(node, "ville", where), dept, cpam, geo, legal,
                              example or legal_example, **extra))
    seen = set()
    for i, c in enumerate(centres):
        if c.finess_geographique in seen:
            raise r.fail(f"centres[{i}].finess_geographique", "FINESS déjà attribué à un autre centre")
        seen.add(c.finess_geographique)
    return cpams, tuple(centres), entities, departements


def _load_vaccines(folder: Path) -> tuple[Vaccine, ...]:
    r = _Reader(folder, "tarifs/vaccins.yaml")
    vaccines, seen = [], set()

    def presentation(node: dict, where: str) -> Presentation:
        codes = []
        for key in ("cip13", "cip7", "ucd13", "ucd7"):
            code = r.get(node, key, where, required=key == "cip13")
            if code is None:
                continue
            problem = vaccine_code_problem(code)
            if problem or len(code) != (13 if key.endswith("13") else 7):
                raise r.fail(f"{where}.{key}", f"code « {code} » invalide : {problem or 'longueur'}")
            if code in seen:
                raise r.fail(f"{where}.{key}", f"code « {code} » déjà attribué à une autre présentation")
            seen.add(code)
            codes.append(code)
        return Presentation(codes[0], tuple(codes), r.series(node, "prix_public", where))

    for i, node in r.items(r.data, "vaccins"):
        where = f"vaccins[{i}]"
        presentations = [presentation(node, where)]
        others = r.get(node, "autres_presentations", where, list, required=False) or []
        presentations += [presentation(other, f"{where}.autres_presentations[{j}]") for j, other in enumerate(others)]
        doses = r.get(node, "doses_par_conditionnement", where, int, required=False) or 1
        cis = tuple(str(c) for c in r.get(node, "cis", where, list, required=False) or [])
        first = presentations[0]
        vaccines.append(Vaccine(r.get(node, "nom", where), r.get(node, "classe", where),
                                tuple(c for p in presentations for c in p.codes), first.cip13, doses,
                                first.public_price, tuple(presentations), cis))
    return tuple(vaccines)


def _load_observations(folder: Path, vaccines: tuple[Vaccine, ...]) -> tuple[Vaccine, ...]:
    """Merge tarifs/prix_bdpm.yaml (prices and presentations imported from the BDPM, when there is one) into the
    vaccines: each observation is a dated public price of a presentation, a new presentation when its CIP13 is new."""
    name = "tarifs/prix_bdpm.yaml"
    if not (folder / name).exists():
        return vaccines
    r = _Reader(folder, name)
    by_cis = {cis: v.nom for v in vaccines for cis in v.cis}
    found: dict[str, tuple[str, list[str], list[Dated]]] = {}  # cip13 -> (vaccine, codes, observations)
    for i, node in r.items(r.data, "observations"):
        where = f"observations[{i}]"
        cis, cip13 = r.get(node, "cis", where), r.get(node, "cip13", where)
        if cis not in by_cis:
            raise r.fail(f"{where}.cis", f"CIS « {cis} » d'aucun vaccin de tarifs/vaccins.yaml")
        if vaccine_code_problem(cip13) or len(cip13) != 13:
            raise r.fail(f"{where}.cip13", f"code « {cip13} » invalide")
        cip7 = r.get(node, "cip7", where, required=False)
        value = r.decimal(node, "valeur", where)
        entry = Dated(r.get(node, "du", where, dt.date), value.quantize(Decimal("0.01")), r.get(node, "source", where))
        codes = [cip13] + ([cip7] if cip7 and len(cip7) == 7 and cip7.isdigit() else [])
        found.setdefault(cip13, (by_cis[cis], codes, []))[2].append(entry)
    merged = []
    for vaccine in vaccines:
        presentations = []
        for p in vaccine.presentations:
            extra = found.pop(p.cip13, (None, None, []))[2]
            presentations.append(dataclasses.replace(p, public_price=_merge(r, p.cip13, p.public_price, extra)))
        for cip13 in [c for c, (nom, _, _) in found.items() if nom == vaccine.nom]:
            _, codes, extra = found.pop(cip13)
            codes = [c for c in codes if c not in vaccine.codes]
            presentations.append(Presentation(cip13, tuple(codes), _merge(r, cip13, Series(()), extra)))
        merged.append(dataclasses.replace(vaccine, presentations=tuple(presentations),
                                          codes=tuple(c for p in presentations for c in p.codes),
                                          public_price=presentations[0].public_price))
    return tuple(merged)


def _merge(r: _Reader, cip13: str, series: Series, extra: list[Dated]) -> Series:
    entries = sorted([*series.entries, *extra], key=lambda e: e.start)
    for a, b in itertools.pairwise(entries):
        if a.start == b.start:
            raise r.fail(f"observations (cip13 {cip13})", f"deux prix le {b.start:%d/%m/%Y}")
    return Series(tuple(entries))


def _load_negotiated(folder: Path, vaccines: tuple[Vaccine, ...]) -> dict:
    r = _Reader(folder, "tarifs/prix_negocies.yaml")
    known = {p.cip13 for v in vaccines for p in v.presentations}
    prices = {}
    for i, node in r.items(r.data, "prix_negocies"):
        where = f"prix_negocies[{i}]"
        cip13 = r.get(node, "cip13", where)
        if cip13 not in known:
            raise r.fail(f"{where}.cip13", f"« {cip13} » n'est pas une présentation de tarifs/vaccins.yaml")
        prices[(r.get(node, "departement", where), cip13)] = r.series(node, "prix", where)
    return prices


def _load_rates(folder: Path, classes: set[str]) -> tuple[RateSet, ...]:
    r = _Reader(folder, "tarifs/taux.yaml")
    sets = []
    for i, node in r.items(r.data, "baremes"):
        where = f"baremes[{i}]"
        start = r.get(node, "du", where, dt.date)
        rules = []
        for j, rule in r.items(node, "regles", where):
            here = f"{where}.regles[{j}]"
            amo, total = r.decimal(rule, "amo", here), r.decimal(rule, "total", here)
            if not amo <= total <= 100:
                raise r.fail(here, "il faut 0 <= amo <= total <= 100")

            def as_set(key: str, here: str = here, rule: dict = rule) -> frozenset[str] | None:
                values = r.get(rule, key, here, list, required=False)
                return None if values is None else frozenset(str(v) for v in values)

            coverages = as_set("couvertures")
            unknown = sorted((as_set("classes") or frozenset()) - classes)
            if unknown:  # a misspelt class would make the rule apply to nothing, silently
                raise r.fail(f"{here}.classes", f"classe de vaccin inconnue « {unknown[0]} » (classes des vaccins : "
                                                f"{', '.join(sorted(classes))})")
            if coverages and not coverages <= set(COVERAGES):
                raise r.fail(f"{here}.couvertures", f"valeurs admises : {', '.join(COVERAGES)}")
            rules.append(RateRule(r.get(rule, "motif", here), amo, total, as_set("classes"), coverages,
                                  as_set("regimes"), r.get(rule, "moins_de_ans", here, int, required=False),
                                  r.get(rule, "source", here, required=False) or ""))
        end = r.get(node, "au", where, dt.date, required=False)
        if end is not None and end < start:
            raise r.fail(f"{where}.au", "la fin du barème précède son début")
        rate_set = RateSet(start, r.get(node, "reference", where), tuple(rules), end)
        for classe in sorted(classes):
            for coverage in COVERAGES:
                if rate_set.rule_for(classe, coverage, None, 99) is None:
                    raise r.fail(where, f"aucune règle pour un vaccin {classe} en {COVERAGE_LABELS[coverage]}")
        sets.append(rate_set)
    if not sets:
        raise r.fail("baremes", "au moins un barème est attendu")
    return tuple(sorted(sets, key=lambda s: s.start))


def _load_schedule(folder: Path) -> tuple[dict, int, int]:
    r = _Reader(folder, "tarifs/calendrier.yaml")
    campaign = r.get(r.data, "campagne", "", dict)
    schedules = {}
    for classe, node in r.get(r.data, "schemas", "", dict).items():
        where = f"schemas.{classe}"
        schedules[classe] = DoseSchedule(
            r.get(node, "intervalle_min_mois", where, int), r.get(node, "doses_max", where, int),
            r.get(node, "age_rattrapage", where, int, required=False),
            r.get(node, "doses_max_rattrapage", where, int, required=False))
    return schedules, r.get(campaign, "age_min", "campagne", int), r.get(campaign, "age_max", "campagne", int)


def _load_regimes(folder: Path) -> dict[str, str]:
    r = _Reader(folder, "tarifs/regimes.yaml")
    regimes = r.get(r.data, "regimes", "", dict)
    for code in regimes:
        if not (isinstance(code, str) and len(code) == 2 and code.isdigit()):
            raise r.fail(f"regimes.{code}", "un code régime s'écrit sur deux chiffres, entre guillemets")
    return {code: str(label) for code, label in regimes.items()}


def reference_digest(folder: Path) -> str:
    """SHA-256 over centres.yaml and tarifs/*.yaml (names and contents), so that an export says which data priced it."""
    digest = hashlib.sha256()
    for path in [folder / "centres.yaml", *sorted((folder / "tarifs").glob("*.yaml"))]:
        digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()


def load_reference(folder: Path | None = None) -> Reference:
    """Load and validate centres.yaml and tarifs/ from `folder` (default: the copy shipped with the tool); what was
    validated once is kept in the user's cache until a file changes (reference/cache.py)."""
    folder = Path(folder) if folder else DEFAULT_REF_DIR
    if not folder.is_dir():
        raise ReferenceDataError(f"dossier de référence introuvable : {folder}")
    reference = cache.cached(folder, [reference_digest(folder)], _LOADER_SOURCES, _CACHED_TYPES,
                             lambda: _load(folder))
    object.__setattr__(reference, "folder", folder)  # the folder as named this time (the cache's may be relative)
    return reference


def _load(folder: Path) -> Reference:
    cpams, centres, entities, departements = _load_centres(folder)
    vaccines = _load_observations(folder, _load_vaccines(folder))
    schedules, age_min, age_max = _load_schedule(folder)
    return Reference(
        folder=folder, cpams=cpams, centres=centres, legal_entities=entities, vaccines=vaccines,
        negotiated=_load_negotiated(folder, vaccines),
        rate_sets=_load_rates(folder, {v.classe for v in vaccines}),
        schedules=schedules, age_min=age_min, age_max=age_max, regimes=_load_regimes(folder),
        departements=departements,
    )


# the code that decides what a folder loads to (a change of it makes the cache's files stale) and what they hold
_LOADER_SOURCES = (__file__, str(Path(__file__).with_name("schema.py")), identifiers.__file__)
_CACHED_TYPES = (Reference, Cpam, Departement, Centre, Presentation, Vaccine, Series, Dated, RateRule, RateSet,
                 DoseSchedule)
