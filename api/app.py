"""The Flask application factory."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from repository import business_time

from .areas import blueprints, load_jobs, pages
from .config import finalise, load_config
from .database import init_database
from .decisions.service import init_rules
from .web.docs import SWAGGER_UI_ASSETS_URL, init_docs_assets
from .web.errors import register_error_handlers
from .web.json import OcmsJSONProvider
from .web.limits import init_limits
from .web.logging import configure_logging, init_request_log, register_secrets, secrets_of
from .web.metrics import init_metrics
from .web.request_id import init_request_id
from .web.smorest import SECURITY_SCHEMES, Api

OPENAPI_CONFIG = {
    "API_TITLE": "OCMS decision service",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Swagger UI from the files installed with the package (swagger-ui-bundle): /docs works offline.
    "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_ASSETS_URL,
    # No call to the public validator (validator.swagger.io) for the badge.
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
}


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
    configure_logging(app.config["OCMS_LOG_LEVEL"], app.config.get("OCMS_LOG_FORMAT", "json"))
    register_secrets(secrets_of(app.config))
    business_time.set_zone(app.config["OCMS_TIMEZONE"])  # every business date and time of this process

    init_request_id(app)
    init_limits(app)  # credentials, body size, query/path text: before any other hook or view
    init_request_log(app)
    init_metrics(app)
    init_docs_assets(app)
    register_error_handlers(app)
    database = init_database(app)
    init_rules(app, database)

    api = Api(app, spec_kwargs={"components": {"securitySchemes": SECURITY_SCHEMES}})
    for blp in blueprints():
        api.register_blueprint(blp)
    for page in pages():
        app.register_blueprint(page)
    load_jobs()
    return app
