"""The stage tests use the VIP area's fixtures (app, simulators of LTA/MHA/DataHive/SFTP, row helpers)."""
from tests.api.vip.conftest import (  # noqa: F401
    Killed, die_at, externals, fast_retries, refuse_updates_of, registry, vdb, vip_app,
)
