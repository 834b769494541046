"""Client of LTA's vehicle registration system: who owns a vehicle (OCMS 10 §3.4 OP-AN-LTA-001; OCMS 14 tab 2 step 9).

    GET {OCMS_LTA_URL}/vehicle/owner?vehicleNo=SBA1234A
    API-Key: {OCMS_LTA_API_KEY}
    -> {"vehicleNo": "SBA1234A", "ownerName": "TAN AH KOW", "ownerIdType": "NRIC", "ownerIdNo": "S1234567D",
        "vehicleRegistrationType": "S", "vehicleMake": "TOYOTA", "vehicleModel": "COROLLA",
        "roadTaxExpiry": "2027-03-31", "diplomaticFlag": false}

OCMS 10 names the owner's id ``ownerNRIC``; OCMS 14's VRLS answer names it
``ownerIdNo`` with ``ownerIdType``: both are read. ``vehicleRegistrationType``
(the type LTA holds for the vehicle, e.g. V for VIP) is what the ROV check of
OCMS 14 re-verifies; it is optional. Timeout 30 s, retries with exponential
backoff (:mod:`api.clients.json_api`); 404 is :class:`RecordNotFound` at once.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import requests

from .http import CallOutcome, MalformedResponse
from .json_api import JsonApiClient, flag, iso_date, json_object, text
from repository.identity import normalise_vehicle_no

SYSTEM = "LTA"
OWNER_PATH = "/vehicle/owner"
_NRIC = re.compile(r"[ST]\d{7}[A-Z]")
_FIN = re.compile(r"[FGM]\d{7}[A-Z]")


@dataclass(frozen=True)
class VehicleOwner:
    """The registered owner LTA reports for a vehicle (lengths as ``ocms_offence_notice_owner_driver``)."""

    vehicle_no: str
    owner_name: str
    owner_id_type: str | None      # NRIC, FIN, UEN ... (inferred for NRIC/FIN numbers when LTA leaves it out)
    owner_id_no: str
    vehicle_registration_type: str | None = None
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    road_tax_expiry: dt.date | None = None
    diplomatic_flag: bool | None = None


def id_type_of(id_no: str) -> str | None:
    """NRIC for S/T numbers, FIN for F/G/M numbers, else None (e.g. a company's UEN)."""
    if _NRIC.fullmatch(id_no):
        return "NRIC"
    if _FIN.fullmatch(id_no):
        return "FIN"
    return None


def parse_owner(response: requests.Response, vehicle_no: str = "") -> VehicleOwner:
    """One answer of ``/vehicle/owner``, checked; MalformedResponse if it is not one."""
    body = json_object(response)
    id_no = text(body, "ownerIdNo", 20) or text(body, "ownerNRIC", 20)
    if not id_no:
        raise MalformedResponse("neither 'ownerIdNo' nor 'ownerNRIC' is given")
    id_no = id_no.upper()
    vtype = text(body, "vehicleRegistrationType", 1)
    return VehicleOwner(
        vehicle_no=normalise_vehicle_no(text(body, "vehicleNo", 20) or vehicle_no),
        owner_name=text(body, "ownerName", 66, required=True),
        owner_id_type=(text(body, "ownerIdType", 10) or "").upper() or id_type_of(id_no),
        owner_id_no=id_no,
        vehicle_registration_type=vtype.upper() if vtype else None,
        vehicle_make=text(body, "vehicleMake", 50),
        vehicle_model=text(body, "vehicleModel", 50),
        road_tax_expiry=iso_date(body, "roadTaxExpiry"),
        diplomatic_flag=flag(body, "diplomaticFlag"),
    )


class LtaClient(JsonApiClient):
    """LTA over HTTP: :meth:`vehicle_owner`."""

    SYSTEM = SYSTEM
    URL_SETTING = "OCMS_LTA_URL"
    KEY_SETTING = "OCMS_LTA_API_KEY"
    TIMEOUT_SETTING = "OCMS_LTA_TIMEOUT"

    def vehicle_owner(self, vehicle_no: str) -> CallOutcome:
        """The owner of ``vehicle_no`` (``.value``: :class:`VehicleOwner`) and the attempts it took.

        Raises :class:`~api.clients.json_api.RecordNotFound` (404: LTA has no
        owner), :class:`~api.clients.json_api.NotConfigured`, or
        :class:`~api.clients.http.ExternalCallError` after the retries.
        """
        return self.get(OWNER_PATH, {"vehicleNo": vehicle_no}, lambda r: parse_owner(r, vehicle_no))


__all__ = ["LtaClient", "OWNER_PATH", "SYSTEM", "VehicleOwner", "id_type_of", "parse_owner"]
