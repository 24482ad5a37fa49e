"""The service (`bordereau serve`): a thin web layer over the same library as the CLI. See SERVICE.md."""

from .app import create_app

__all__ = ["create_app"]
