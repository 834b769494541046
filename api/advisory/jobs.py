"""Batch jobs of the AN intake: ``ocms jobs run mirror-retry``.

``mirror-retry`` is idempotent: it only touches open MIRROR_SYNC rows, and
copying a notice to the mirror twice changes nothing. Run it often (e.g.
every few minutes with ``--key $(date +%Y%m%dT%H%M)`` or ``--force``: a run
key that already succeeded is otherwise skipped for the day).
"""
from __future__ import annotations

from ..jobs import register_job
from .mirror import retry_mirrors


@register_job("mirror-retry", "Re-write internet mirrors (eocms_*) whose write failed at intake")
def mirror_retry(uow, run_key: str) -> dict:
    """Re-write internet mirrors whose write failed at intake; counts open/resolved/failed."""
    return retry_mirrors(uow.session)


__all__ = ["mirror_retry"]
