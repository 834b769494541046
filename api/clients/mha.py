"""Client of MHA: a person's registered address, name and whether they are deceased.

OCMS 10 §3.4 OP-AN-MHA-001 (the AN letter's address) and OCMS 14 tab 2 step 11 /
tab 4 step 5 (checks before RD1/RD2/RR3, furnished particulars)::

    GET {OCMS_MHA_URL}/address?nric=S1234567D
    API-Key: {OCMS_MHA_API_KEY}
    -> {"idNumber": "S1234567D", "name": "TAN AH KOW", "isDeceased": false,
        "blockHouseNo": "123", "buildingName": "KIM KEAT VILLE", "streetName": "KIM KEAT AVENUE",
        "unitNumber": "#05-12", "postalCode": "310123"}

OCMS 14 shows the address nested (``"address": {...}``): both forms are read.
An answer without a street or postal code has no address (§3.4 "MHA Address
Not Found": manual review), which is an answer, not a failure. Timeout 30 s,
retries with exponential backoff; 404 is :class:`~api.clients.json_api.RecordNotFound`.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests

from .http import CallOutcome, MalformedResponse
from .json_api import JsonApiClient, flag, json_object, text

SYSTEM = "MHA"
ADDRESS_PATH = "/address"


@dataclass(frozen=True)
class Address:
    """A registered address (lengths as ``ocms_offence_notice_owner_driver``)."""

    block_house_no: str | None
    building_name: str | None
    street_name: str | None
    unit_number: str | None
    postal_code: str | None

    @property
    def complete(self) -> bool:
        """A letter can be addressed: a street and a postal code."""
        return bool(self.street_name and self.postal_code)

    def lines(self) -> list[str]:
        """The address as printed on a letter, one line per part present."""
        street = " ".join(p for p in (self.block_house_no, self.street_name) if p)
        unit = " ".join(p for p in (self.unit_number, self.building_name) if p)
        return [line for line in (street, unit, f"SINGAPORE {self.postal_code}" if self.postal_code else "") if line]


@dataclass(frozen=True)
class Particulars:
    """What MHA holds of one person."""

    id_no: str
    name: str | None
    address: Address | None
    is_deceased: bool | None


def parse_particulars(response: requests.Response, id_no: str = "") -> Particulars:
    """One answer of ``/address``, checked."""
    body = json_object(response)
    nested = body.get("address")
    if nested is not None and not isinstance(nested, dict):
        raise MalformedResponse("'address' must be an object")
    src = nested if isinstance(nested, dict) else body
    address = Address(text(src, "blockHouseNo", 10), text(src, "buildingName", 65), text(src, "streetName", 65),
                      text(src, "unitNumber", 10), text(src, "postalCode", 10))
    if address.postal_code is not None and not address.postal_code.isdigit():
        raise MalformedResponse("'postalCode' must be digits")
    return Particulars((text(body, "idNumber", 20) or id_no).upper(), text(body, "name", 66),
                       address if address.complete else None, flag(body, "isDeceased"))


class MhaClient(JsonApiClient):
    """MHA over HTTP: :meth:`particulars`."""

    SYSTEM = SYSTEM
    URL_SETTING = "OCMS_MHA_URL"
    KEY_SETTING = "OCMS_MHA_API_KEY"
    TIMEOUT_SETTING = "OCMS_MHA_TIMEOUT"

    def particulars(self, id_no: str) -> CallOutcome:
        """What MHA holds of NRIC/FIN ``id_no`` (``.value``: :class:`Particulars`); errors as :meth:`JsonApiClient.get`."""
        return self.get(ADDRESS_PATH, {"nric": id_no}, lambda r: parse_particulars(r, id_no))


__all__ = ["ADDRESS_PATH", "Address", "MhaClient", "Particulars", "SYSTEM", "parse_particulars"]
