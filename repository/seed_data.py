"""Reference data seeded into a new database: stages, stage map, parameters,
offence rule codes, car parks.

Values the specs give are marked with their source; every other value is a
PLACEHOLDER TO CONFIRM with the business (DESIGN.md §10) and is editable in
``ocms_parameter`` / ``ocms_stage_map`` after seeding.
"""

from __future__ import annotations

from decimal import Decimal

#: Every processing stage the specs name, in processing order.
STAGES: tuple[str, ...] = (
    "NPA", "ROV", "ENA", "RD1", "RD2", "RR3", "DN1", "DN2", "DR3",
    "CPC", "CFC", "CSD", "CSR", "CRT", "CRC", "CFI",
)

#: NEXT_STAGE_{stage}. NPA→ROV→RD1, RR3/DR3→CPC, CPC→CSD: OCMS 14 §7; CSD→CSR: CAS API 2
#: example; RD1→RD2→RR3, DN1→DN2→DR3: OCMS 14 §7.2.5. The rest: PLACEHOLDER TO CONFIRM.
NEXT_STAGE: dict[str, str] = {
    "NPA": "ROV", "ROV": "RD1", "ENA": "RD2", "RD1": "RD2", "RD2": "RR3", "RR3": "CPC",
    "DN1": "DN2", "DN2": "DR3", "DR3": "CPC", "CPC": "CSD", "CSD": "CSR", "CSR": "CRT",
    "CFC": "CRT", "CRT": "CRC", "CRC": "CFI",
}

#: STAGEDAYS per stage (days until next_processing_date). PLACEHOLDER TO CONFIRM: the specs give none.
STAGE_DAYS: dict[str, int] = {
    "NPA": 2, "ROV": 3, "ENA": 14, "RD1": 21, "RD2": 21, "RR3": 21, "DN1": 21, "DN2": 21,
    "DR3": 21, "CPC": 14, "CFC": 14, "CSD": 14, "CSR": 14, "CRT": 28, "CRC": 28,
}

#: The stage a notice usually came from (demo data and the stage map).
PREVIOUS_STAGE: dict[str, str | None] = {
    "NPA": None, "ROV": "NPA", "ENA": "ROV", "RD1": "ROV", "RD2": "RD1", "RR3": "RD2",
    "DN1": "RD1", "DN2": "DN1", "DR3": "DN2", "CPC": "RR3", "CFC": "CPC", "CSD": "CPC",
    "CSR": "CSD", "CRT": "CSR", "CRC": "CRT", "CFI": "CRC",
}

OWNER_STAGES = ("ROV", "RD1", "RD2", "RR3")  # OCMS 15 §4.4: OWNER, HIRER, DIRECTOR
DRIVER_STAGES = ("DN1", "DN2", "DR3")  # OCMS 15 §4.4: DRIVER


def stage_map_pairs() -> list[tuple[str, str]]:
    """Allowed (last, next) transitions: the natural path plus the manual CPS moves.

    Manual moves (OCMS 15): between any two stages of one role's eligible set,
    owner stages to DN1 (driver furnished), RR3/DR3/CPC to CFC.
    PLACEHOLDER TO CONFIRM beyond the natural path.
    """
    pairs = set(NEXT_STAGE.items())
    for group in (OWNER_STAGES, DRIVER_STAGES):
        pairs |= {(a, b) for a in group for b in group if a != b}
    pairs |= {(a, "DN1") for a in OWNER_STAGES}
    pairs |= {(a, "CFC") for a in ("RR3", "DR3", "CPC")}
    pairs.add(("NPA", "RD1"))  # OCMS 14 tab 3 step 12: a VIP AN moves to RD1 once its letter is sent
    return sorted(pairs)


#: (parameter_id, code, value, description)
PARAMETERS: list[tuple[str, str, str, str]] = [
    *[("NEXT_STAGE", s, n, f"NEXT_STAGE_{s}: stage after {s}") for s, n in NEXT_STAGE.items()],
    *[("STAGEDAYS", s, str(d), f"Days at {s} before the next stage (placeholder to confirm)")
      for s, d in STAGE_DAYS.items()],
    ("REVIVAL_DAYS", "ANS", "30", "PS-ANS revival period in days (OCMS 10 §3.7)"),
    ("REVIVAL_DAYS", "OLD", "21", "TS-OLD suspension period in days (OCMS 14 §7)"),
    ("REVIVAL_DAYS", "CLV", "30", "TS-CLV suspension period in days (placeholder to confirm)"),
    # Every suspension gets a revival date (a missing period is 30 days with a warning, OCMS 10 §3.7).
    ("REVIVAL_DAYS", "DBB", "30", "PS-DBB revival period in days (placeholder to confirm: the specs give none)"),
    ("REPORT_RANGE_DAYS", "ANS", "31", "Max date range of the ANS report (OCMS 10 §3.8)"),
    ("REPORT_RANGE_DAYS", "CPS", "90", "Max date range of the CPS report (OCMS 15 §8.3)"),
    # The same-day and past-offence switches live in rules/an_qualification.yaml (same_day_check,
    # past_offence_mode). AN_QUALIFICATION/SAME_DAY_CHECK or /PAST_OFFENCE_MODE rows, if an operator adds
    # them, override the YAML; seeding them would silently mask an analyst's change there.
    ("AN_QUALIFICATION", "PAST_OFFENCE_MONTHS", "24", "Past-offence window in months (BR-AN-QUAL-002)"),
    ("AN_QUALIFICATION", "PS_REASONS", "ANS", "PS reasons counted in PS_REASONS mode"),
    ("SUSPENSION", "SOURCE", "ocmsiz_app_conn", "suspension_source of system suspensions (OCMS 10 §3.7)"),
    ("SUSPENSION", "OFFICER_AUTHORISING", "ocmsizmgr_conn",
     "officer_authorising_suspension of system suspensions (OCMS 10 §3.7)"),
    # CPS "PS blocks a change" is the switch ps_block in rules/cps_validation.yaml.
    ("BATCH_LIMIT", "CAS", "500", "Max notices per CAS API 1/2 request"),
    ("BATCH_LIMIT", "PLUS", "10", "Max notices per PLUS API 4 request"),
    ("UNQUALIFIED_AN", "BATCH_SIZE", "1000", "Notices per unqualified-AN API call (OCMS 10 §3.9)"),
    ("RETENTION_DAYS", "DECISION_LOG", "730",
     "Days decision-log rows are kept; 0 keeps all (decision-log-maintenance; placeholder to confirm)"),
    # Retries of external calls: OCMS_HTTP_RETRIES (environment), one setting for every client.
]

#: (computer_rule_code, description, composition_amount, offence_notice_type). 20412 and 11210
#: are the AN exemption codes (BR-AN-EXEMPT-001/002); descriptions and amounts are demo values.
RULE_CODES: list[tuple[int, str, str, str]] = [
    (10100, "Parking without a valid parking session", "50.00", "O"),
    (10200, "Parking beyond the permitted time", "50.00", "O"),
    (10300, "Parking in a season-holders-only lot", "70.00", "O"),
    (10500, "Parking outside a marked lot", "50.00", "O"),
    (11210, "Parking in a loading bay or handicap lot without entitlement", "100.00", "O"),
    (20412, "Parking a car in a motorcycle lot", "80.00", "O"),
    (20500, "Causing obstruction in a car park", "70.00", "O"),
    (30100, "Heavy vehicle parked in a light-vehicle lot", "100.00", "E"),
    (30200, "Parking across two lots", "50.00", "E"),
    (40100, "Unlicensed parking", "120.00", "U"),
]

_STREETS = [
    "Ang Mo Kio Ave 3", "Bedok North Rd", "Clementi Ave 2", "Tampines St 21", "Jurong West St 52",
    "Toa Payoh Lor 1", "Hougang Ave 8", "Yishun Ring Rd", "Bukit Batok St 11", "Serangoon Ave 2",
    "Woodlands Dr 14", "Pasir Ris Dr 6", "Queen St", "Beach Rd", "Tanjong Pagar Rd",
    "Upper Cross St", "Kallang Bahru", "Geylang Bahru", "Marine Parade Rd", "Holland Ave",
]


def carparks() -> list[tuple[str, str, str]]:
    """Return demo car parks as (pp_code, pp_name, carpark_type)."""
    rows = []
    for i, street in enumerate(_STREETS, start=1):
        kind = "SURFACE" if i % 3 else "MULTI-STOREY"
        rows.append((f"A{i:04d}", f"{street} Car Park", kind))
    return rows


def rule_amount(code: int) -> Decimal:
    """Return the standard composition amount of a seeded rule code."""
    for c, _desc, amount, _type in RULE_CODES:
        if c == code:
            return Decimal(amount)
    raise KeyError(code)
