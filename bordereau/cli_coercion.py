"""The command line's options turned into values without pydantic, when that gives typer's own value.

typer (0.29) turns every option's text into its value through a pydantic TypeAdapter, built on the option's first use:
importing pydantic and building the adapters was a sixth of a 60-line check. The options of `bordereau` are simple:
text, paths, lists of them, dates read by our own parser. For those, `install()` has typer compute the value the way
its adapter would, by typer's own functions (`coerce_cli_path` does the path's checks, readable, file or folder),
without pydantic:

- a missing value: None, or () for a list;
- text: the text itself;
- a path: `Path(text)` then typer's `coerce_cli_path` (pydantic's part of it was only `Path(text)`);
- a list of texts or paths: each item as above, in a list;
- an option with a `parser=`: what the parser returns.

Anything else (numbers, tuples, choices, a value that is not text), and any value the quick way refuses (a path that
cannot be read, a date the parser rejects), goes to typer's own coercion, which then gives its value or its error
message exactly as before. `tests/test_cli_coercion.py` compares both ways on every option of every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin


class _NotQuick(Exception):
    """The value is left to typer's own coercion."""


def _leaf(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    from typer._param_types import coerce_cli_path, routes_to_path

    if type(value) is not str:
        raise _NotQuick
    if annotation is str:
        return value
    if annotation is Path and info.path_type is None and routes_to_path(annotation, info):
        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    raise _NotQuick


def quick_value(param: Any, value: Any, ctx: Any) -> Any:
    """The value typer's adapter would give `param` for `value`; _NotQuick (or the error of a check that failed)
    when typer's own coercion must say."""
    descriptor = param.type_descriptor
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if value is None:
        return () if param.multiple or param.nargs == -1 else None
    if (param.multiple or param.nargs == -1) and isinstance(value, str):
        raise _NotQuick  # typer's own error or splitting
    if info.parser is not None:
        if get_origin(annotation) is not None:
            raise _NotQuick
        return info.parser(value)
    if get_origin(annotation) is list:
        [item] = get_args(annotation)
        items = value if isinstance(value, list | tuple) else [value]
        return [_leaf(item, info, v, param, ctx) for v in items]
    if get_origin(annotation) is not None:
        raise _NotQuick
    return _leaf(annotation, info, value, param, ctx)


class QuickCoercion:
    """What typer's parameter calls to coerce a value: the quick way, else typer's own (built on first need)."""

    def __init__(self, param: Any):
        self._param, self._own = param, None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return quick_value(param, value, ctx)
        except Exception:  # typer's own coercion decides, and words any error
            pass
        if self._own is None:
            from typer._coercion import build_runtime_param

            self._own = build_runtime_param(self._param.type_descriptor)
        return self._own.coerce(value, param=param, ctx=ctx)


def install() -> bool:
    """Have typer's parameters coerce through QuickCoercion. False (typer left alone) if this typer has no such
    hook: its own coercion then runs, only slower."""
    try:
        from typer.core import _TyperParameter
    except ImportError:
        return False
    if not hasattr(_TyperParameter, "get_runtime_param"):
        return False

    def get_runtime_param(self):
        if getattr(self, "_runtime_param", None) is None:
            self._runtime_param = QuickCoercion(self)
        return self._runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param
    return True
