"""REPCCS: receiver of the daily unqualified-AN list of its notices (OCMS 10 §3.9).

Settings: ``OCMS_REPCCS_URL`` (base URL; the list goes to ``<url>/unqualified-an-list``),
``OCMS_REPCCS_API_KEY`` (its ``API-Key`` header), ``OCMS_UNQUALIFIED_AN_TIMEOUT`` and
``OCMS_UNQUALIFIED_AN_BACKOFF``. The API is the one CES has: see :mod:`.unqualified_list`.
"""
from __future__ import annotations

from .unqualified_list import UnqualifiedListClient, client_for

SYSTEM = "REPCCS"


def repccs_client(config: dict, **kwargs) -> UnqualifiedListClient:
    """The REPCCS unqualified-list client configured by ``config`` (``retries=`` and ``session=`` may be given)."""
    return client_for(SYSTEM, config, **kwargs)


__all__ = ["SYSTEM", "repccs_client"]
