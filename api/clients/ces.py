"""CES (Certis): receiver of the daily unqualified-AN list of its notices (OCMS 10 §3.9).

Settings: ``OCMS_CES_URL`` (base URL; the list goes to ``<url>/unqualified-an-list``),
``OCMS_CES_API_KEY`` (its ``API-Key`` header), ``OCMS_UNQUALIFIED_AN_TIMEOUT`` and
``OCMS_UNQUALIFIED_AN_BACKOFF``. The API is the one REPCCS has: see :mod:`.unqualified_list`.
"""
from __future__ import annotations

from .unqualified_list import UnqualifiedListClient, client_for

SYSTEM = "CES"


def ces_client(config: dict, **kwargs) -> UnqualifiedListClient:
    """The CES unqualified-list client configured by ``config`` (``retries=`` and ``session=`` may be given)."""
    return client_for(SYSTEM, config, **kwargs)


__all__ = ["SYSTEM", "ces_client"]
