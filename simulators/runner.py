"""Start the simulators on loopback in a background thread, on a free port.

    with ServerThread(wsgi_app, name="CAS") as server:   # 127.0.0.1:<free port>
        requests.post(server.url + "/v1/cas/refreshVIPVehicle", ...)

:func:`run_simulators` is ``ocms-simulators run [cas|smtp|receivers|lta|datahive|mha|sms|email|slift|sftp|all]``: it starts the
chosen simulators in this process, prints their URLs and the settings that
point the service at them, and serves until interrupted.
"""
from __future__ import annotations

import importlib
import socket
import sys
import threading
import time
from typing import Callable, TextIO

from werkzeug.serving import make_server

LOOPBACK = "127.0.0.1"
RECEIVER_PORT = 9101  # REPCCS's unqualified-AN receiver; CES's is the next port

#: The JSON APIs of the owner-particulars systems and the notification channels: name -> (module, class, default port, the service's URL setting).
JSON_APIS = {
    "lta": ("simulators.lta", "LtaSimulator", 8711, "OCMS_LTA_URL"),
    "datahive": ("simulators.datahive", "DataHiveSimulator", 8712, "OCMS_DATAHIVE_URL"),
    "mha": ("simulators.mha", "MhaSimulator", 8713, "OCMS_MHA_URL"),
    # The AN notification channels (OCMS 10 §3.5-3.6).
    "sms": ("simulators.messaging", "SmsSimulator", 8714, "OCMS_SMS_URL"),
    "email": ("simulators.messaging", "EmailSimulator", 8715, "OCMS_EMAIL_URL"),
    "slift": ("simulators.slift", "SliftSimulator", 8716, "OCMS_SLIFT_URL"),
}
#: What ``ocms-simulators run`` can start.
CHOICES = ("cas", "smtp", "receivers", *JSON_APIS, "sftp", "all")
#: The print vendor's SFTP server: default port, login, and where its files and keys live.
SFTP_PORT, SFTP_USER, SFTP_PASSWORD = 8722, "ocms", "demo-sftp-password"
SFTP_ROOT = "instance/sftp"


def free_port(host: str = LOOPBACK) -> int:
    """A port nobody listens on right now (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerThread:
    """A WSGI app served by werkzeug's threaded ``make_server`` in a daemon thread."""

    def __init__(self, app: Callable, host: str = LOOPBACK, port: int = 0, name: str = "simulator"):
        self.name = name
        self._server = make_server(host, port, app, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "ServerThread":
        # A short poll interval: stop() returns in ~50 ms instead of werkzeug's 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sim-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_simulators(which: str = "all", host: str = LOOPBACK, port: int | None = None, smtp_port: int | None = None,
                   vehicles: int = 150, apim_key: str | None = None, out: TextIO | None = None,
                   until: threading.Event | None = None, receiver_port: int | None = None,
                   ces_port: int | None = None, api_ports: dict[str, int] | None = None,
                   sftp_root: str | None = None) -> int:
    """Serve the chosen simulators (:data:`CHOICES`) until interrupted (or ``until`` is set); print their URLs.

    ``api_ports`` gives LTA, DataHive, MHA and SFTP their own ports (``{"lta": 8711}``), as ``bin/demo`` does.
    """
    from simulators.cas import DEFAULT_PORT as CAS_PORT
    from simulators.cas import CasSimulator
    from simulators.smtp import DEFAULT_PORT as SMTP_PORT
    from simulators.smtp import SmtpSimulator

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    def port_of(name: str, default: int) -> int:
        """``--port`` when this simulator alone is asked for, else its own port, else 0 (free) or the default."""
        if which == name and port is not None:
            return port
        own = (api_ports or {}).get(name)
        if own is not None:
            return own
        return 0 if port == 0 else default

    started: list = []
    try:
        if which in ("cas", "all"):
            cas = CasSimulator(apim_key=apim_key, vehicles=vehicles, host=host,
                               port=CAS_PORT if port is None else port).start()
            started.append(cas)
            say(f"CAS simulator on {cas.url}  (POST {cas.url}/v1/cas/refreshVIPVehicle, "
                f"{len(cas.vehicles)} VIP vehicles; control: POST {cas.url}/_control, GET {cas.url}/_calls)")
            say(f"  export OCMS_CAS_URL={cas.url}" + (f" OCMS_CAS_APIM_KEY={apim_key}" if apim_key else ""))
        if which in ("smtp", "all"):
            chosen = smtp_port if smtp_port is not None else (port if which == "smtp" and port is not None
                                                              else SMTP_PORT)
            smtp = SmtpSimulator(host=host, port=chosen, echo=out or sys.stdout).start()
            started.append(smtp)
            say(f"SMTP simulator on smtp://{smtp.host}:{smtp.port}  (received messages are printed here)")
            say(f"  export OCMS_SMTP_HOST={smtp.host} OCMS_SMTP_PORT={smtp.port} "
                f"OCMS_ALERT_TO=operations@example.com")
        for name, (module, cls_name, default_port, setting) in JSON_APIS.items():
            if which not in (name, "all"):
                continue
            cls = getattr(importlib.import_module(module), cls_name)
            sim = cls(host=host, port=port_of(name, default_port)).start()
            started.append(sim)
            say(f"{sim.NAME} simulator on {sim.url}  (control: POST {sim.url}/_control, GET {sim.url}/_calls)")
            say(f"  export {setting}={sim.url}")
        if which in ("receivers", "all"):
            from simulators.an_receivers import PATH, AnReceiverSimulator
            # REPCCS on receiver_port (default 9101), CES on the next one; 0: any free ports
            first = RECEIVER_PORT if receiver_port is None else receiver_port
            second = ces_port if ces_port is not None else (first + 1 if first else 0)
            for system, rport in (("REPCCS", first), ("CES", second)):
                rec = AnReceiverSimulator(system, None, host, rport).start()
                started.append(rec)
                say(f"{system} unqualified-AN receiver on {rec.url}{PATH}  (control: POST {rec.url}/_control)")
                say(f"  export OCMS_{system}_URL={rec.url}")
        if which in ("sftp", "all"):
            from pathlib import Path

            from simulators.sftp import SftpSimulator
            root = Path(sftp_root or SFTP_ROOT)
            sftp = SftpSimulator(root / "vendor", SFTP_USER, SFTP_PASSWORD, host, port_of("sftp", SFTP_PORT),
                                 host_key_path=root / "host_key").start()
            started.append(sftp)
            known = sftp.write_known_hosts(root / "known_hosts")
            say(f"SFTP print vendor on {sftp.url}  (user {SFTP_USER}, files land in {root / 'vendor'})")
            say(f"  export OCMS_SFTP_HOST={sftp.host} OCMS_SFTP_PORT={sftp.port} OCMS_SFTP_USER={SFTP_USER} "
                f"OCMS_SFTP_PASSWORD={SFTP_PASSWORD} OCMS_SFTP_KNOWN_HOSTS={known} OCMS_SFTP_DIR=/print")
        say("Ctrl-C to stop.")
        while not (until and until.is_set()):
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        for sim in reversed(started):
            sim.stop()
    return 0


__all__ = ["LOOPBACK", "ServerThread", "free_port", "run_simulators"]
