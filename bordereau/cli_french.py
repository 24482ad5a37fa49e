"""The command line's French face: usage errors in one French line, help without programmers' type names, and dates
typed as people type them (JJ/MM/AAAA or AAAA-MM-JJ)."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.abc
import importlib.util
import re
import sys

import typer

try:  # recent typer releases carry their own copy of click
    from typer._click import exceptions as click_errors
    from typer._click.core import Context
except ImportError:  # pragma: no cover
    from click import Context
    from click import exceptions as click_errors

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
DATE_METAVAR = "JJ/MM/AAAA"


def parse_day(value: object) -> dt.date:
    """A date typed JJ/MM/AAAA or AAAA-MM-JJ.

    >>> parse_day("03/10/2026"), parse_day("2026-10-03")
    (datetime.date(2026, 10, 3), datetime.date(2026, 10, 3))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"« {text} » n'est pas une date (JJ/MM/AAAA ou AAAA-MM-JJ)")


def _hint(param) -> str:
    if param is None:
        return ""
    if param.param_type_name == "argument":
        return (param.metavar or param.name.upper()).removesuffix("...")
    return "/".join(param.opts)


_ENGLISH = (  # click's own messages for values it converts itself
    (re.compile(r"valid integer"), "un nombre entier est attendu"),
    (re.compile(r"valid (float|number)"), "un nombre est attendu"),
    (re.compile(r"is not in the range|is not within the range|greater than or equal|less than or equal"),
     "hors des valeurs permises"),
    (re.compile(r"is not one of|is not a valid choice"), "valeur non prévue"),
)


def usage_message(exc: click_errors.UsageError) -> str:
    """One French line for a usage error of click/typer."""
    message = exc.message or ""
    if isinstance(exc, click_errors.MissingParameter):
        param = exc.param
        if param is not None and param.param_type_name == "argument":
            return f"argument {_hint(param)} manquant"
        return f"option {_hint(param)} manquante"
    if isinstance(exc, click_errors.BadParameter):
        for pattern, french in _ENGLISH:
            if pattern.search(message):
                message = french
                break
        return f"valeur invalide pour {_hint(exc.param)} : {message}"
    if isinstance(exc, click_errors.NoSuchOption):
        close = f" (vouliez-vous dire {', '.join(sorted(exc.possibilities))} ?)" if exc.possibilities else ""
        return f"option inconnue : {exc.option_name}{close}"
    if isinstance(exc, click_errors.BadOptionUsage):
        if "requires an argument" in message:
            return f"l'option {exc.option_name} attend une valeur"
        if "does not take a value" in message:
            return f"l'option {exc.option_name} ne prend pas de valeur"
    if found := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message):
        return f"argument(s) en trop : {found.group(1)}"
    if found := re.match(r"No such command '?(.*?)'?\.?$", message):
        return f"commande inconnue : {found.group(1)}"
    return f"commande mal formée ({message})"


HELP_TEXTS = {
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "DEFAULT_STRING": "[défaut : {}]",
    "ENVVAR_STRING": "[variable : {}]",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Interrompu.",
    "RICH_HELP": "Voir [blue]'{command_path} {help_option}'[/] pour l'aide.",
}


def _no_type(ctx) -> None:
    return None


def french_range(low, high) -> str | None:
    """The bounds of a number as a help text says them, instead of typer's `1<=x<=100`.

    >>> french_range(1, 100), french_range(1, None), french_range(None, 9), french_range(None, None)
    ('de 1 à 100', '1 au moins', '9 au plus', None)
    """
    if low is None and high is None:
        return None
    if high is None:
        return f"{low} au moins"
    if low is None:
        return f"{high} au plus"
    return f"de {low} à {high}"


def _french_rich_utils(module) -> None:
    for name, text in HELP_TEXTS.items():
        if hasattr(module, name):
            setattr(module, name, text)


class _WhenRichUtilsLoads(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """typer imports its help renderer (rich markdown, syntax highlighting, tracebacks: a tenth of a second) only to
    show help or an error: its texts are made French when it loads, not at every start."""

    NAME = "typer.rich_utils"

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.NAME:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        _french_rich_utils(module)


def _french_help_texts() -> None:
    if "typer.rich_utils" in sys.modules:
        _french_rich_utils(sys.modules["typer.rich_utils"])
    elif not any(isinstance(finder, _WhenRichUtilsLoads) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WhenRichUtilsLoads())


def _tree(command) -> list:
    """A command and every command under it, at any depth (`users add`, `tarifs importer`)."""
    return [command, *(cmd for sub in getattr(command, "commands", {}).values() for cmd in _tree(sub))]


def frenchify(command):
    """The click command tree of the app with French help: no programmers' type names (<str>, <bool>, list[Path]),
    the help option speaks French, at every depth of the tree."""
    _french_help_texts()
    for cmd in _tree(command):
        help_option = cmd.get_help_option(Context(cmd))
        params = [*cmd.params, *([help_option] if help_option is not None else [])]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
            if param.param_type_name == "argument" and param.metavar is None:
                param.metavar = param.name.upper()
            if param.param_type_name == "argument" or not param.metavar:  # its name says it all: no <list[Path]>
                param.display_type_rich = _no_type
            if hasattr(param, "_get_number_range_help_str"):  # typer's x>=1 and 1<=x<=100
                param._get_number_range_help_str = functools.partial(french_range, getattr(param, "min", None),
                                                                     getattr(param, "max", None))
        if help_option is not None:
            help_option.help = "Affiche cette aide."
    return command
