"""The ASGI application of `bordereau serve`, built by a factory so that uvicorn or gunicorn run it as any app:

    uvicorn --factory bordereau.web:create_app

Configuration comes from the arguments, or from the environment that `bordereau serve` sets for its workers:
BORDEREAU_DB (the ledger), BORDEREAU_KEY_FILE, BORDEREAU_REF (reference data folder), BORDEREAU_HTTPS,
BORDEREAU_DB_POOL (connections per worker). See bordereau.web.launch for what the workers share.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from bordereau.ledger import open_ledger
from bordereau.ledger.db import default_db
from bordereau.reference.data import load_reference
from bordereau.web import api, cpam_api, cpam_pages, departement, departement_pages, pages
from bordereau.web.checker import Checker, Config
from bordereau.web.launch import CHECKERS, DEFAULT_POOL, end_with_supervisor, pool_from_env
from bordereau.web.security import MESSAGE_413, Forbidden, Guard, NotFound, NotLoggedIn, TooLarge
from bordereau.web.views import error, is_api

REF_ENV, HTTPS_ENV = "BORDEREAU_REF", "BORDEREAU_HTTPS"


# Pages speak to people who do not know what a CSRF token is; the API keeps the technical word for scripts.
BAD_TOKEN = "jeton CSRF absent ou incorrect : rechargez la page et recommencez"
EXPIRED_FORM = ("Ce formulaire n'est plus valable (page ouverte avant votre dernière connexion ?) : rechargez la "
                "page et recommencez")
NO_PAGE = "Cette page n'existe pas, ou votre compte ne peut pas la voir"


def create_app(db: str | None = None, key_file: Path | None = None, ref: Path | None = None,
               https: bool | None = None, checkers: int = CHECKERS, pool: int | None = None) -> FastAPI:
    """The service over the ledger `db` (default: the CLI's); the reference data of `ref` (default: shipped)."""
    db = db or default_db()
    key_file = key_file or (Path(os.environ["BORDEREAU_KEY_FILE"]) if os.environ.get("BORDEREAU_KEY_FILE") else None)
    ref = ref or (Path(os.environ[REF_ENV]) if os.environ.get(REF_ENV) else None)
    https = bool(os.environ.get(HTTPS_ENV)) if https is None else https
    ledger = open_ledger(db, key_file, create=True, pool=pool or pool_from_env() or DEFAULT_POOL)
    checker = Checker(Config(db, str(key_file) if key_file else None, str(ref) if ref else None), checkers)

    @asynccontextmanager
    async def lifespan(_app):
        end_with_supervisor()  # a worker of `serve --workers N` stops if its supervisor dies
        await run_in_threadpool(checker.warm)
        yield
        await run_in_threadpool(checker.close)

    app = FastAPI(title="bordereau", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.ledger, app.state.reference, app.state.checker, app.state.https = (
        ledger, load_reference(ref), checker, https)
    app.include_router(api.router)
    app.include_router(departement.router)
    app.include_router(cpam_api.router)
    app.include_router(pages.router)
    app.include_router(departement_pages.router)
    app.include_router(cpam_pages.router)
    app.add_middleware(Guard, https=https)

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _exc):
        if is_api(request):
            return error(request, 401, "connexion requise")
        return RedirectResponse("/connexion", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc):
        return error(request, 403, BAD_TOKEN if is_api(request) else EXPIRED_FORM)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc):
        return error(request, 404, "introuvable" if is_api(request) else NO_PAGE)

    @app.exception_handler(404)
    async def no_route(request: Request, _exc):
        return error(request, 404, "introuvable" if is_api(request) else NO_PAGE)

    @app.exception_handler(405)
    async def no_method(request: Request, _exc):
        return error(request, 404, "introuvable" if is_api(request) else NO_PAGE)

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, _exc):
        return error(request, 413, MESSAGE_413)

    return app
