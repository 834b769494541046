"""Client of DataHive: the mobile number and email address of a person (OCMS 10 §3.4 OP-AN-DATAHIVE-001).

    GET {OCMS_DATAHIVE_URL}/contact?nric=S1234567D
    API-Key: {OCMS_DATAHIVE_API_KEY}
    -> {"mobileNumber": "91234567", "emailAddress": "tan@example.com"}

Both fields may be null or absent: "no contact" (§3.4: proceed to the physical
letter) is an answer, not a failure. Timeout 30 s, retries with exponential
backoff; 404 is :class:`~api.clients.json_api.RecordNotFound`.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests

from .http import CallOutcome, MalformedResponse
from .json_api import JsonApiClient, json_object, text

SYSTEM = "DATAHIVE"
CONTACT_PATH = "/contact"


@dataclass(frozen=True)
class Contact:
    """How a person can be reached electronically (either may be None)."""

    mobile_number: str | None
    email_address: str | None

    @property
    def found(self) -> bool:
        """§3.4 "Contact Found?": a mobile number or an email address."""
        return bool(self.mobile_number or self.email_address)


def parse_contact(response: requests.Response) -> Contact:
    """One answer of ``/contact``, checked."""
    body = json_object(response)
    mobile = text(body, "mobileNumber", 20)
    email = text(body, "emailAddress", 320)
    if mobile is not None and not mobile.lstrip("+").isdigit():
        raise MalformedResponse("'mobileNumber' is not a telephone number")
    if email is not None and "@" not in email:
        raise MalformedResponse("'emailAddress' is not an email address")
    return Contact(mobile, email)


class DataHiveClient(JsonApiClient):
    """DataHive over HTTP: :meth:`contact`."""

    SYSTEM = SYSTEM
    URL_SETTING = "OCMS_DATAHIVE_URL"
    KEY_SETTING = "OCMS_DATAHIVE_API_KEY"
    TIMEOUT_SETTING = "OCMS_DATAHIVE_TIMEOUT"

    def contact(self, id_no: str) -> CallOutcome:
        """The contact of NRIC/FIN ``id_no`` (``.value``: :class:`Contact`); errors as :meth:`JsonApiClient.get`."""
        return self.get(CONTACT_PATH, {"nric": id_no}, parse_contact)


__all__ = ["CONTACT_PATH", "Contact", "DataHiveClient", "SYSTEM", "parse_contact"]
