"""The service (`bordereau serve`): a thin web layer over the same library as the CLI. See SERVICE.md."""

from bordereau.web.app import create_app

__all__ = ["create_app"]
