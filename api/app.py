"""The Flask application factory."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask

from .areas import blueprints, load_jobs
from .config import finalise, load_config
from .database import init_database
from .decisions.service import init_rules
from .web.errors import register_error_handlers
from .web.json import OcmsJSONProvider
from .web.limits import init_limits
from .web.request_id import init_request_id
from .web.smorest import SECURITY_SCHEMES, Api

OPENAPI_CONFIG = {
    "API_TITLE": "OCMS decision service",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
}


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    for name in ("api", "engine", "repository"):
        logging.getLogger(name).setLevel(level)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config from the environment (overridden by ``test_config``), database, rules, blueprints.

    The rules are loaded lazily on first use, so calling this in the gunicorn
    master would still not touch durable_rules; ``ocms serve`` calls it in
    each worker anyway.
    """
    app = Flask("api", instance_relative_config=True)
    app.json = OcmsJSONProvider(app)  # Decimal amounts as 300.00 (the specs), keys in built order
    app.config.update(OPENAPI_CONFIG)
    app.config.update(load_config(instance_path=app.instance_path))
    if test_config:
        app.config.update(test_config)
    finalise(app.config)
    _configure_logging(app.config["OCMS_LOG_LEVEL"])

    init_request_id(app)
    init_limits(app)  # credentials, body size, query/path text: before any other hook or view
    register_error_handlers(app)
    database = init_database(app)
    init_rules(app, database)

    api = Api(app, spec_kwargs={"components": {"securitySchemes": SECURITY_SCHEMES}})
    for blp in blueprints():
        api.register_blueprint(blp)
    load_jobs()
    return app
