"""Strict schemas of the reference data files (pydantic): unknown keys, wrong types, out-of-range values, duplicates
and shadowed rate rules are refused with one French line naming the file and the key path, before the typed objects
of `reference.py` are built.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bordereau.errors import ReferenceDataError


class _Loader(yaml.SafeLoader):
    """YAML with duplicate keys refused (the second one would silently win)."""


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise ReferenceDataError(f"ligne {key_node.start_mark.line + 1} : clé « {key} » en double (déjà ligne "
                                     f"{seen[key] + 1})")
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except ReferenceDataError as exc:
        raise ReferenceDataError(f"{name} : {exc}") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Text = Annotated[str, Field(min_length=1)]


def _amount(value: str) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"« {value} » n'est pas un nombre décimal") from None
    if not number.is_finite():
        raise ValueError(f"« {value} » n'est pas un montant fini")
    return value


def _dates(values: dict) -> dict:
    for key in values:
        if type(key) is not dt.date:  # a datetime is a date too: refused, like text
            raise ValueError(f"{key}\0la clé doit être une date AAAA-MM-JJ")  # validate() puts the key in the path
    return values


class Price(_Strict):
    valeur: str
    source: Text
    exemple: bool = False

    _amount = field_validator("valeur")(_amount)


class Presentation(_Strict):
    cip13: Text
    cip7: str | None = None
    ucd13: str | None = None
    ucd7: str | None = None
    prix_public: dict[Any, Price]

    _dates = field_validator("prix_public")(_dates)


class Vaccine(Presentation):
    nom: Text
    classe: Text
    cis: list[str] = []
    doses_par_conditionnement: Annotated[int, Field(gt=0)] = 1
    autres_presentations: list[Presentation] = []


class Vaccines(_Strict):
    vaccins: list[Vaccine]


class Negotiated(_Strict):
    departement: Text
    cip13: Text
    prix: dict[Any, Price]

    _dates = field_validator("prix")(_dates)


class NegotiatedPrices(_Strict):
    prix_negocies: list[Negotiated]

    @model_validator(mode="after")
    def _once(self):
        _unique([(p.departement, p.cip13) for p in self.prix_negocies], "prix_negocies", "même département et vaccin")
        return self


class Rule(_Strict):
    motif: Text
    amo: str
    total: str
    classes: list[str] | None = None
    couvertures: list[str] | None = None
    regimes: list[str] | None = None
    moins_de_ans: Annotated[int, Field(gt=0)] | None = None
    source: str | None = None

    _amo = field_validator("amo", "total")(_amount)

    def covers(self, other: Rule) -> bool:
        """Whether this rule matches every line `other` matches (it then shadows it when it comes first)."""
        def wider(mine, theirs):
            return mine is None or (theirs is not None and set(theirs) <= set(mine))

        return (wider(self.classes, other.classes) and wider(self.couvertures, other.couvertures)
                and wider(self.regimes, other.regimes)
                and (self.moins_de_ans is None or (other.moins_de_ans is not None
                                                   and other.moins_de_ans <= self.moins_de_ans)))


class RateSet(_Strict):
    du: dt.date
    au: dt.date | None = None
    reference: Text
    regles: list[Rule]

    @field_validator("du", "au")
    @classmethod
    def _day(cls, value):
        if isinstance(value, dt.datetime):
            raise ValueError("une date AAAA-MM-JJ est attendue, pas une date et heure")
        return value

    @model_validator(mode="after")
    def _not_shadowed(self):
        for j, rule in enumerate(self.regles):
            for i in range(j):
                if self.regles[i].covers(rule):
                    raise ValueError(f"regles[{j}] ({rule.motif}) ne s'applique jamais : regles[{i}] "
                                     f"({self.regles[i].motif}) la couvre entièrement")
        return self


class Rates(_Strict):
    baremes: list[RateSet]

    @model_validator(mode="after")
    def _dates_once(self):
        _unique([s.du.isoformat() for s in self.baremes], "baremes", "même date de début")
        return self


class Campaign(_Strict):
    age_min: Annotated[int, Field(ge=0)]
    age_max: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _order(self):
        if self.age_min > self.age_max:
            raise ValueError(f"age_min ({self.age_min}) supérieur à age_max ({self.age_max})")
        return self


class Schedule(_Strict):
    intervalle_min_mois: Annotated[int, Field(ge=0)]
    doses_max: Annotated[int, Field(gt=0)]
    age_rattrapage: Annotated[int, Field(ge=0)] | None = None
    doses_max_rattrapage: Annotated[int, Field(gt=0)] | None = None


class Calendar(_Strict):
    campagne: Campaign
    schemas: dict[str, Schedule]


class Regimes(_Strict):
    regimes: dict[Any, Text]  # keys: two digits, quoted (reference.py says so in its own words)


class Finess(_Strict):
    numero: Text
    exemple: bool = False


class Signatory(_Strict):
    nom: str = ""
    qualite: str = ""
    exemple: bool = False


class Departement(_Strict):
    code: Text
    nom: Text
    finess_juridique: Finess
    raison_sociale: str | None = None
    signataire: Signatory | None = None


class Cpam(_Strict):
    code: Text
    nom: Text
    nom_court: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]  # a folder name of the export
    email: Text
    adresse: str = ""


class Centre(_Strict):
    nom: Text
    ville: Text
    departement: Text
    cpam: Text
    finess_geographique: Finess
    adresse: str = ""
    telephone: str = ""
    email: str = ""


class Centres(_Strict):
    departements: list[Departement]
    cpam: list[Cpam]
    centres: list[Centre]

    @model_validator(mode="after")
    def _once(self):
        _unique([d.code for d in self.departements], "departements", "même code")
        _unique([c.code for c in self.cpam], "cpam", "même code")
        _unique([c.nom_court for c in self.cpam], "cpam", "même nom_court")
        return self


class Observation(_Strict):
    cis: Text
    cip13: Text
    cip7: str | None = None
    du: dt.date
    valeur: str
    source: Text

    _amount = field_validator("valeur")(_amount)


class Observations(_Strict):
    observations: list[Observation]


SCHEMAS: dict[str, type[_Strict]] = {
    "centres.yaml": Centres, "tarifs/vaccins.yaml": Vaccines, "tarifs/prix_negocies.yaml": NegotiatedPrices,
    "tarifs/taux.yaml": Rates, "tarifs/calendrier.yaml": Calendar, "tarifs/regimes.yaml": Regimes,
    "tarifs/prix_bdpm.yaml": Observations,
}
_PROBLEMS = {"extra_forbidden": "clé inconnue", "missing": "valeur manquante"}


def _unique(values: list, where: str, what: str) -> None:
    seen: dict = {}
    for i, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{where}[{i}] : {what} que {where}[{seen[value]}] (« {value} »)")
        seen[value] = i


def _path(loc: tuple) -> str:
    """pydantic's location as the README writes it: `vaccins[1].prix_public.2022-06-01.valeur`."""
    out = ""
    for n, part in enumerate(loc):
        if part == "[key]":
            continue
        if isinstance(part, int) and not isinstance(part, bool) and loc[n + 1:n + 2] != ("[key]",):
            out += f"[{part}]"
        else:
            if isinstance(part, str) and (m := re.fullmatch(r"datetime\.date\((\d+), (\d+), (\d+)\)", part)):
                part = dt.date(*map(int, m.groups())).isoformat()
            out += f".{part}" if out else str(part)
    return out


def validate(name: str, data: Any) -> None:
    """Refuse `data` (the YAML of reference file `name`) unless it fits its schema exactly."""
    schema = SCHEMAS.get(name)
    if schema is None:
        return
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        if error["type"] in _PROBLEMS:
            problem = _PROBLEMS[error["type"]]
        elif error["type"] == "value_error":
            problem = str(error["ctx"]["error"])
        elif error["type"].endswith("_type") or error["type"].startswith("is_instance"):
            problem = f"type inattendu ({type(error['input']).__name__})"
        else:
            problem = f"valeur refusée ({error['msg']})"
        where = _path(error["loc"]) or "(racine)"
        if "\0" in problem:
            key, problem = problem.split("\0", 1)
            where = f"{where}.{key}"
        raise ReferenceDataError(f"{name} : {where} : {problem}") from None
