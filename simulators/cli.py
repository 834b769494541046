"""The ``ocms-simulators`` command: serve the stand-ins of external systems on loopback.

    ocms-simulators run [cas|smtp|receivers|lta|datahive|mha|sms|email|slift|sftp|all] [--host H] [--port P]
                        [--smtp-port P] [--receiver-port P] [--ces-port P] [--lta-port P] [--datahive-port P]
                        [--mha-port P] [--sms-port P] [--email-port P] [--slift-port P] [--sftp-port P] [--sftp-root DIR] [--vehicles N] [--apim-key K]

Used by ``bin/demo`` and by people trying the service by hand; the tests start
the simulators in-process (:class:`simulators.runner.ServerThread`). Exit
status: 0 after Ctrl-C, 2 on a usage error.
"""
from __future__ import annotations

import argparse
import sys

from .runner import CHOICES, run_simulators


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ocms-simulators", description="Loopback stand-ins of OCMS's external systems")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="serve the chosen simulators on loopback until Ctrl-C")
    r.add_argument("which", nargs="?", choices=CHOICES, default="all")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, help="port of the simulator named (with all: CAS, and 0 = free ports for every one; defaults CAS 8701, SMTP 8025, LTA 8711, DataHive 8712, MHA 8713)")
    r.add_argument("--smtp-port", type=int, help="SMTP port with 'all' (default 8025)")
    r.add_argument("--receiver-port", type=int, help="REPCCS receiver port (CES: the next one; default 9101)")
    r.add_argument("--ces-port", type=int, help="CES receiver port (default: the REPCCS port + 1)")
    for name, default in (("lta", 8711), ("datahive", 8712), ("mha", 8713), ("sms", 8714), ("email", 8715),
                          ("slift", 8716), ("sftp", 8722)):
        r.add_argument(f"--{name}-port", type=int, help=f"{name} port with 'all' (default {default})")
    r.add_argument("--vehicles", type=int, default=150, help="VIP vehicles the CAS simulator serves")
    r.add_argument("--apim-key", help="Ocp-Apim-Subscription-Key the CAS simulator requires (default: none)")
    r.add_argument("--sftp-root", help="where the SFTP print vendor keeps its files, host key and known_hosts "
                                       "(default instance/sftp; port 8722)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ocms-simulators`` console script."""
    args = build_parser().parse_args(argv)
    return run_simulators(args.which, host=args.host, port=args.port, smtp_port=args.smtp_port,
                          vehicles=args.vehicles, apim_key=args.apim_key, receiver_port=args.receiver_port,
                          ces_port=args.ces_port, sftp_root=args.sftp_root,
                          api_ports={"lta": args.lta_port, "datahive": args.datahive_port, "mha": args.mha_port,
                                     "sms": args.sms_port, "email": args.email_port, "slift": args.slift_port,
                                     "sftp": args.sftp_port})


if __name__ == "__main__":
    sys.exit(main())
