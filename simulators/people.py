"""Made-up but well-formed people, owners and addresses, the same for the same key every time.

The LTA, DataHive and MHA stand-ins answer for ANY vehicle or NRIC with data
derived from a hash of it, so a demo notice of any vehicle number finds an
owner, and tests can predict the answer without setting anything up.
"""
from __future__ import annotations

import datetime as dt
import hashlib

_SURNAMES = ("TAN", "LIM", "LEE", "NG", "ONG", "WONG", "GOH", "CHUA", "CHAN", "KOH", "TEO", "ANG", "YEO", "SIM")
_GIVEN = ("AH KOW", "MEI LING", "WEI MING", "SIEW LAN", "KAH HENG", "HUI MIN", "JUN JIE", "LI TING", "BOON KIAT")
_STREETS = ("ANG MO KIO AVENUE 3", "TAMPINES STREET 21", "BEDOK NORTH ROAD", "JURONG WEST STREET 42",
            "TOA PAYOH LORONG 1", "WOODLANDS DRIVE 14", "CLEMENTI AVENUE 2", "YISHUN RING ROAD")
_MAKES = (("TOYOTA", "COROLLA ALTIS"), ("HONDA", "CIVIC"), ("MAZDA", "3"), ("BMW", "320I"), ("HYUNDAI", "AVANTE"))


def _h(key: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big")


def nric_check_letter(digits: str, prefix: str = "S") -> str:
    """The check letter of an S/T NRIC with seven ``digits``."""
    total = sum(int(d) * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2))) + (4 if prefix == "T" else 0)
    return "JZIHGFEDCBA"[total % 11]


def nric_for(key: str) -> str:
    """A valid S-series NRIC derived from ``key`` (e.g. a vehicle number)."""
    digits = f"{_h(key, 'nric') % 10_000_000:07d}"
    return f"S{digits}{nric_check_letter(digits)}"


def name_for(key: str) -> str:
    n = _h(key, "name")
    return f"{_SURNAMES[n % len(_SURNAMES)]} {_GIVEN[(n >> 8) % len(_GIVEN)]}"


def owner_for(vehicle_no: str) -> dict:
    """LTA's answer for ``vehicle_no``: the owner, make, model, road tax expiry; VIP type for VIP… numbers."""
    nric = nric_for(vehicle_no)
    n = _h(vehicle_no, "vehicle")
    make, model = _MAKES[n % len(_MAKES)]
    return {
        "vehicleNo": vehicle_no, "ownerName": name_for(nric), "ownerIdType": "NRIC", "ownerIdNo": nric,
        "ownerNRIC": nric, "vehicleRegistrationType": "V" if vehicle_no.startswith("VIP") else "S",
        "vehicleMake": make, "vehicleModel": model,
        "roadTaxExpiry": (dt.date(2027, 1, 1) + dt.timedelta(days=n % 365)).isoformat(), "diplomaticFlag": False,
    }


#: DataHive's contact cases, chosen by hash: both channels, SMS only, email only, none.
CONTACT_CASES = ("both", "mobile", "email", "none")


def contact_for(nric: str) -> dict:
    """DataHive's answer for ``nric``: a mobile number and/or an email address (or neither)."""
    n = _h(nric, "contact")
    case = CONTACT_CASES[n % len(CONTACT_CASES)]
    mobile = f"9{(n >> 4) % 10_000_000:07d}" if case in ("both", "mobile") else None
    email = f"{nric.lower()}@example.com" if case in ("both", "email") else None
    return {"mobileNumber": mobile, "emailAddress": email}


def particulars_for(nric: str) -> dict:
    """MHA's answer for ``nric``: name, not deceased, a registered address."""
    n = _h(nric, "address")
    return {
        "idNumber": nric, "name": name_for(nric), "isDeceased": False,
        "blockHouseNo": str(100 + n % 800), "buildingName": None, "streetName": _STREETS[n % len(_STREETS)],
        "unitNumber": f"#{(n >> 3) % 20 + 1:02d}-{(n >> 8) % 300 + 1:02d}", "postalCode": f"{(n >> 12) % 900000 + 100000}",
    }


__all__ = ["CONTACT_CASES", "contact_for", "name_for", "nric_check_letter", "nric_for", "owner_for", "particulars_for"]
