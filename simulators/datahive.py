"""DataHive's contact API, simulated on loopback: ``GET /contact?nric=`` (OCMS 10 §3.4).

    with DataHiveSimulator() as dh:
        dh.set_contact("S1234567D", mobile="91234567", email=None)
        dh.not_found("S7654321D")

Any other NRIC gets a generated contact (:func:`simulators.people.contact_for`:
by hash, both channels, SMS only, email only or none). HTTP controls:
``{"contacts": {"S1234567D": {"mobileNumber": "9…", "emailAddress": null}}, "notFound": [...]}``.
"""
from __future__ import annotations

from .base import FaultyJsonApi
from .people import contact_for

PATH = "/contact"
DEFAULT_PORT = 8712


class DataHiveSimulator(FaultyJsonApi):
    NAME = "DATAHIVE"

    def reset_data(self) -> None:
        self._contacts: dict[str, dict] = {}
        self._missing: set[str] = set()

    def routes(self):
        return {("GET", PATH): self._contact}

    def set_contact(self, nric: str, mobile: str | None = None, email: str | None = None) -> None:
        with self._lock:
            self._contacts[nric] = {"mobileNumber": mobile, "emailAddress": email}
            self._missing.discard(nric)

    def not_found(self, *nrics: str) -> None:
        with self._lock:
            self._missing.update(nrics)

    def control(self, body: dict) -> None:
        for nric, c in (body.get("contacts") or {}).items():
            self.set_contact(nric, c.get("mobileNumber"), c.get("emailAddress"))
        if body.get("notFound"):
            self.not_found(*body["notFound"])

    def _contact(self, request):
        nric = request.args.get("nric", "")
        with self._lock:
            if not nric or nric in self._missing:
                return 404, {"error": "person not found"}
            override = self._contacts.get(nric)
        return 200, override if override is not None else contact_for(nric)


__all__ = ["DEFAULT_PORT", "DataHiveSimulator", "PATH"]
