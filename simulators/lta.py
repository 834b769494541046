"""LTA's vehicle ownership API, simulated on loopback: ``GET /vehicle/owner?vehicleNo=`` (OCMS 10 §3.4).

    with LtaSimulator(api_key="k") as lta:
        lta.set_owner("SBA1234A", {"ownerName": "TAN AH KOW", "ownerIdNo": "S1234567D"})
        lta.not_found("SNO0000X")          # 404 for this vehicle
        ... plus every fault of :class:`simulators.base.FaultyJsonApi` ...

Any other vehicle gets a generated owner (:func:`simulators.people.owner_for`;
vehicles numbered ``VIP…`` are reported as type V). HTTP controls: ``POST /_control``
``{"owners": {"SBA1234A": {...}}, "notFound": ["SNO0000X"]}`` besides the common ones.
"""
from __future__ import annotations

from .base import FaultyJsonApi
from .people import owner_for

PATH = "/vehicle/owner"
DEFAULT_PORT = 8711


class LtaSimulator(FaultyJsonApi):
    NAME = "LTA"

    def reset_data(self) -> None:
        self._owners: dict[str, dict] = {}
        self._missing: set[str] = set()

    def routes(self):
        return {("GET", PATH): self._owner}

    def set_owner(self, vehicle_no: str, owner: dict) -> None:
        """Answer ``owner`` (merged over the generated one) for ``vehicle_no``."""
        with self._lock:
            self._owners[vehicle_no] = dict(owner)
            self._missing.discard(vehicle_no)

    def not_found(self, *vehicle_nos: str) -> None:
        """Answer 404 for these vehicles."""
        with self._lock:
            self._missing.update(vehicle_nos)

    def control(self, body: dict) -> None:
        for vehicle_no, owner in (body.get("owners") or {}).items():
            self.set_owner(vehicle_no, owner)
        if body.get("notFound"):
            self.not_found(*body["notFound"])

    def _owner(self, request):
        vehicle_no = request.args.get("vehicleNo", "")
        with self._lock:
            if not vehicle_no or vehicle_no in self._missing:
                return 404, {"error": "vehicle not found"}
            override = self._owners.get(vehicle_no)
        return 200, {**owner_for(vehicle_no), **(override or {})}


__all__ = ["DEFAULT_PORT", "LtaSimulator", "PATH"]
