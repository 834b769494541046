"""Client of CAS behind APIM: CAS API 3, refresh VIP vehicle (CAS/PLUS technical spec §3).

    POST {OCMS_CAS_URL}/v1/cas/refreshVIPVehicle
    Content-Type: application/json
    Ocp-Apim-Subscription-Key: {OCMS_CAS_APIM_KEY}
    -> {"data": [{"vehicleNo": "ABC1234", "description": "VIP Vehicle", "status": "ACTIVE",
                  "vipLabelStatus": "VALID", "labelExpiryDate": "2026-12-31"}],
        "totalCount": 150}

``vipLabelStatus`` and ``labelExpiryDate`` are not in the technical spec's
example, but OCMS 14 tab 6 reads ``vip_label_status`` and ``label_expiry_date``
from the VIP list, so CAS must send them: they are optional here (absent or
null: unknown) and, when sent, kept (the names follow the spec's camelCase of
the columns - to confirm with CAS).

An answer is accepted only whole (:func:`validate_vip_response`): ``totalCount``
equals the number of entries; every ``vehicleNo`` is a non-empty string of at
most 14 characters (``ocms_vip_vehicle.vehicle_no``) and appears once;
``status`` is a non-empty string of at most 10 characters; ``description`` is
absent, null or a string of at most 100 characters; and the list is not empty
(an empty list would strip every vehicle of its VIP treatment, so it is taken
for a CAS fault); ``vipLabelStatus`` is absent, null or a string of at most 10
characters and ``labelExpiryDate`` absent, null or a ``yyyy-MM-dd`` date. Anything else is :class:`~api.clients.http.MalformedResponse`:
a failed attempt, retried like a timeout or a 5xx (see :mod:`api.clients.http`).
Vehicle numbers are normalised like every vehicle number OCMS keeps (spaces
removed, upper-cased: :func:`repository.identity.normalise_vehicle_no`), so a VIP
vehicle is found whatever spelling CAS or the notice used; two entries that
are one vehicle once normalised are a duplicate. ``status`` is a code: kept
trimmed and upper-cased (``"active"`` is ``ACTIVE``, the VIP treatment).
"""
from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any, Callable

import requests

from repository.identity import normalise_code, normalise_vehicle_no

from .http import CallOutcome, ExternalCallError, MalformedResponse, RetryPolicy, call_with_retry

SYSTEM = "CAS"
REFRESH_VIP_PATH = "/v1/cas/refreshVIPVehicle"
APIM_KEY_HEADER = "Ocp-Apim-Subscription-Key"

VEHICLE_NO_MAX = 14
STATUS_MAX = 10
DESCRIPTION_MAX = 100
LABEL_STATUS_MAX = 10
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Malformed entries named in one error message, at most.
_NAMED = 5


class CasNotConfigured(ExternalCallError):
    """``OCMS_CAS_URL`` is not set: no call was made."""

    def __init__(self) -> None:
        super().__init__(SYSTEM, "not configured (set OCMS_CAS_URL)", 0, ["OCMS_CAS_URL is not set"])


def validate_vip_response(body: Any) -> list[dict[str, Any]]:
    """The VIP list of a refreshVIPVehicle answer, checked whole; raise MalformedResponse otherwise."""
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected a JSON object, got {type(body).__name__}")
    data, total = body.get("data"), body.get("totalCount")
    if not isinstance(data, list):
        raise MalformedResponse("'data' must be a list")
    if not isinstance(total, int) or isinstance(total, bool):
        raise MalformedResponse("'totalCount' must be an integer")
    if total != len(data):
        raise MalformedResponse(f"'totalCount' is {total} but 'data' holds {len(data)} vehicles")
    if not data:
        raise MalformedResponse("the VIP list is empty (the current list is kept)")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for i, item in enumerate(data):
        if len(problems) >= _NAMED:
            break
        if not isinstance(item, dict):
            problems.append(f"data[{i}] is not an object")
            continue
        no, status, desc = item.get("vehicleNo"), item.get("status"), item.get("description")
        no = normalise_vehicle_no(no) if isinstance(no, str) else None
        if not no:
            problems.append(f"data[{i}].vehicleNo is missing or empty")
        elif len(no) > VEHICLE_NO_MAX:
            problems.append(f"data[{i}].vehicleNo is longer than {VEHICLE_NO_MAX} characters")
        elif no in seen:
            problems.append(f"data[{i}].vehicleNo {no!r} appears twice")
        else:
            seen.add(no)
        # A code (DESIGN.md §10): " active" is ACTIVE, as the intake and the reports compare it.
        status = normalise_code(status) if isinstance(status, str) else None
        if not status or len(status) > STATUS_MAX:
            problems.append(f"data[{i}].status must be a non-empty string of at most {STATUS_MAX} characters")
        if desc is not None and (not isinstance(desc, str) or len(desc) > DESCRIPTION_MAX):
            problems.append(f"data[{i}].description must be a string of at most {DESCRIPTION_MAX} characters")
        label = item.get("vipLabelStatus")
        if label is not None and (not isinstance(label, str) or len(label) > LABEL_STATUS_MAX):
            problems.append(f"data[{i}].vipLabelStatus must be a string of at most {LABEL_STATUS_MAX} characters")
        expiry = _date(item.get("labelExpiryDate"))
        if expiry is False:
            problems.append(f"data[{i}].labelExpiryDate must be a date yyyy-MM-dd")
        out.append({"vehicleNo": no, "description": desc, "status": status, "vipLabelStatus": label,
                    "labelExpiryDate": expiry if expiry is not False else None})
    if problems:
        raise MalformedResponse("; ".join(problems[:_NAMED]))
    return out


def _date(value: Any) -> dt.date | None | bool:
    """A ``yyyy-MM-dd`` date, None for absent/null, False for anything else."""
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return False


def _parse_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as e:  # requests' JSONDecodeError (json or simplejson) is a ValueError
        raise MalformedResponse(f"not JSON ({e.__class__.__name__})") from None


def parse_vip_response(response: requests.Response) -> list[dict[str, Any]]:
    """Parse and validate one answer (one attempt's work)."""
    return validate_vip_response(_parse_json(response))


class CasClient:
    """CAS through APIM: one ``requests.Session``, the retry policy, the key (never logged)."""

    def __init__(self, base_url: str | None, apim_key: str | None, policy: RetryPolicy | None = None,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep):
        self.base_url = (base_url or "").rstrip("/")
        self._apim_key = apim_key
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self._sleep = sleep

    @classmethod
    def from_config(cls, config: dict, **kwargs) -> "CasClient":
        """The client ``OCMS_CAS_URL``, ``OCMS_CAS_APIM_KEY`` and ``OCMS_HTTP_*`` describe."""
        policy = RetryPolicy(retries=int(config["OCMS_HTTP_RETRIES"]), backoff=float(config["OCMS_HTTP_BACKOFF"]),
                             timeout=config["OCMS_HTTP_TIMEOUT"])
        return cls(config.get("OCMS_CAS_URL"), config.get("OCMS_CAS_APIM_KEY"), policy, **kwargs)

    def __repr__(self) -> str:  # no key in reprs, tracebacks or logs
        return f"CasClient({self.base_url!r}, retries={self.policy.retries})"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._apim_key:
            headers[APIM_KEY_HEADER] = self._apim_key
        return headers

    def call(self, path: str, parse: Callable[[requests.Response], Any], payload: Any = None) -> CallOutcome:
        """POST ``path`` with the retry policy; the parsed answer and the attempts it took."""
        if not self.base_url:
            raise CasNotConfigured()
        return call_with_retry(self.session, "POST", self.base_url + path, self.policy, parse, system=SYSTEM,
                               headers=self._headers(), json=payload if payload is not None else {},
                               sleep=self._sleep)

    def fetch_vip_vehicles(self) -> CallOutcome:
        """CAS API 3 with its retries: the validated VIP list (``.value``) and the attempts (``.attempts``)."""
        return self.call(REFRESH_VIP_PATH, parse_vip_response)

    def refresh_vip_vehicles(self) -> list[dict[str, Any]]:
        """CAS API 3: the VIP list ``[{"vehicleNo", "description", "status", "vipLabelStatus", "labelExpiryDate"}]``."""
        return self.fetch_vip_vehicles().value

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "CasClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["APIM_KEY_HEADER", "CasClient", "CasNotConfigured", "REFRESH_VIP_PATH", "SYSTEM",
           "parse_vip_response", "validate_vip_response"]
