"""MHA's particulars API, simulated on loopback: ``GET /address?nric=`` (OCMS 10 §3.4, OCMS 14 tabs 2 and 4).

    with MhaSimulator() as mha:
        mha.set_particulars("S1234567D", {"isDeceased": True})
        mha.no_address("S2222222J")        # 200 with the name but no address (§3.4 "Address Not Found")
        mha.not_found("S7654321D")         # 404

Any other NRIC gets generated particulars (:func:`simulators.people.particulars_for`).
HTTP controls: ``{"particulars": {"S…": {...}}, "noAddress": [...], "notFound": [...]}``.
"""
from __future__ import annotations

from .base import FaultyJsonApi
from .people import particulars_for

PATH = "/address"
DEFAULT_PORT = 8713
_ADDRESS_KEYS = ("blockHouseNo", "buildingName", "streetName", "unitNumber", "postalCode")


class MhaSimulator(FaultyJsonApi):
    NAME = "MHA"

    def reset_data(self) -> None:
        self._people: dict[str, dict] = {}
        self._missing: set[str] = set()
        self._no_address: set[str] = set()

    def routes(self):
        return {("GET", PATH): self._particulars}

    def set_particulars(self, nric: str, particulars: dict) -> None:
        """Answer ``particulars`` (merged over the generated ones) for ``nric``."""
        with self._lock:
            self._people[nric] = dict(particulars)
            self._missing.discard(nric)

    def no_address(self, *nrics: str) -> None:
        with self._lock:
            self._no_address.update(nrics)

    def not_found(self, *nrics: str) -> None:
        with self._lock:
            self._missing.update(nrics)

    def control(self, body: dict) -> None:
        for nric, p in (body.get("particulars") or {}).items():
            self.set_particulars(nric, p)
        if body.get("noAddress"):
            self.no_address(*body["noAddress"])
        if body.get("notFound"):
            self.not_found(*body["notFound"])

    def _particulars(self, request):
        nric = request.args.get("nric", "")
        with self._lock:
            if not nric or nric in self._missing:
                return 404, {"error": "person not found"}
            answer = {**particulars_for(nric), **self._people.get(nric, {})}
            if nric in self._no_address:
                answer = {k: v for k, v in answer.items() if k not in _ADDRESS_KEYS}
        return 200, answer


__all__ = ["DEFAULT_PORT", "MhaSimulator", "PATH"]
