"""A job for the scheduler tests: ``test-slow`` sleeps, then appends ``<key> <pid>`` to a file.

Imported by the tests and by the subprocesses they start
(``python -c "import tests.api.jobs.slow_job; ..."``); production never sees it.
``OCMS_TEST_SLEEP`` (seconds) and ``OCMS_TEST_JOB_LOG`` (the file) come from the
environment. Each execution is one ``write`` of one line with ``O_APPEND``, so
lines of concurrent runners never mix.
"""
from __future__ import annotations

import os
import sys
import time

from api.jobs import register_job

JOB = "test-slow"


@register_job(JOB, "sleep, then record the run key (tests only)")
def slow_job(uow, run_key: str) -> dict:
    time.sleep(float(os.environ.get("OCMS_TEST_SLEEP") or 0))
    path = os.environ.get("OCMS_TEST_JOB_LOG")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{run_key} {os.getpid()}\n".encode())
        finally:
            os.close(fd)
    return {"key": run_key}


def main() -> int:
    from api.cli import main as ocms
    return ocms(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
