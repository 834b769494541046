"""Generate the rows of the demo data set, reproducibly from a seed.

Pure Python: :func:`build_demo_rows` returns ``{model: [row dict, ...]}`` and
:mod:`repository.seed` inserts them set-based.

Two parts, both dated relative to ``today`` (the business date):

* the **showcase** (:data:`SHOWCASE`): the notices the README's examples name,
  each in the state its example needs (a TS-APP notice for CAS API 1, a court
  notice for CAS API 2, an unpaid and a paid one for PLUS API 4, RD1 owner
  notices for CPS and PLUS, ROV notices for Toppan (one changed by an officer
  today), a PS-ANS notice for the ANS report, an RD1 owner notice to furnish a
  driver for); ``tests/test_readme_examples.py``
  runs the README against a seeded demo;
* the generated set: ``notices`` random notices over every stage, type,
  suspension and role.

Every notice number has its check letter (9 digits + ``CHECK_LETTERS[...]``,
:func:`repository.identity.format_notice_no`); every vehicle number is in its
normalised form.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .advisory import AnLetterLog, EanNotificationLog, ManualReviewQueue, UnqualifiedAnTransmissionLog
from .base import SYSTEM_USER
from .identity import format_notice_no
from .furnish import EFurnishApplication, FurnishApplication
from .notices import (
    ChangeOfProcessing,
    CourtCase,
    EValidOffenceNotice,
    OffenceNoticeDetail,
    OffenceNoticeOwnerDriver,
    ValidOffenceNotice,
)
from .notifications import AnNotification
from .reference import Carpark, ENotificationExclusion, VipVehicle
from .seed_data import NEXT_STAGE, PREVIOUS_STAGE, RULE_CODES, STAGE_DAYS, STAGES, carparks
from .suspensions import ESuspendedNotice, SuspendedNotice

Row = dict[str, Any]

# Relative weights of the last processing stage of a demo notice.
_STAGE_WEIGHTS = {
    "NPA": 6, "ROV": 8, "ENA": 4, "RD1": 14, "RD2": 11, "RR3": 9, "DN1": 7, "DN2": 5, "DR3": 4,
    "CPC": 6, "CFC": 3, "CSD": 3, "CSR": 2, "CRT": 3, "CRC": 2, "CFI": 2,
}
_COURT_STAGES = ("CPC", "CFC", "CSD", "CSR", "CRT", "CRC", "CFI")
_EARLY_STAGES = ("NPA", "ROV", "ENA", "RD1")
_REPCCS_SUBSYSTEMS = ("001", "002", "005")
_CES_SUBSYSTEMS = ("030", "045A", "101", "230EHT")
_FIRST = ["TAN", "LIM", "LEE", "NG", "ONG", "WONG", "GOH", "CHUA", "KUMAR", "RAHMAN", "SINGH", "HO"]
_GIVEN = ["WEI MING", "SIEW LING", "AHMAD", "PRIYA", "JUN HAO", "MEI LING", "RAJ", "NURUL", "KAI", "HUI MIN"]
_COMPANIES = ["ACME LOGISTICS PTE LTD", "LION CITY RENTALS PTE LTD", "MERLION MOVERS PTE LTD",
              "ORCHID TRANSPORT PTE LTD", "KALLANG FLEET PTE LTD"]
_MAKES = [("TOYOTA", "COROLLA"), ("HONDA", "CIVIC"), ("MAZDA", "3"), ("BMW", "320I"),
          ("HYUNDAI", "AVANTE"), ("YAMAHA", "NMAX"), ("ISUZU", "NPR"), ("MERCEDES", "E200")]
_COLOURS = ["WHITE", "BLACK", "SILVER", "GREY", "RED", "BLUE"]


@dataclass
class DemoRows:
    """The generated rows per model, in foreign-key order."""

    rows: dict[type, list[Row]] = field(default_factory=dict)

    def add(self, model: type, row: Row) -> None:
        self.rows.setdefault(model, []).append(row)


class _Generator:
    def __init__(self, seed: int, notices: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.n = notices
        self.today = today
        self.now = datetime.combine(today, time(6, 0))
        self.out = DemoRows()
        self.sr: dict[str, int] = {}
        self.notice_sequence = 0

    # -- identities -------------------------------------------------------
    def letter(self) -> str:
        return self.rng.choice(string.ascii_uppercase)

    def nric(self) -> str:
        return f"{self.rng.choice('STFG')}{self.rng.randrange(10**7):07d}{self.letter()}"

    def person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_GIVEN)}"

    def plate(self, prefix: str = "S") -> str:
        while True:
            plate = f"{prefix}{self.letter()}{self.letter()}{self.rng.randint(1, 9999)}{self.letter()}"
            if plate not in SHOWCASE_VEHICLES:  # the README's vehicles have only the showcase's notices
                return plate

    def notice_no(self) -> str:
        self.notice_sequence += 1
        return format_notice_no(500_000_000 + self.notice_sequence)  # 500000001A, ... (check letter)

    # -- reference rows ---------------------------------------------------
    def reference(self) -> None:
        for code, name, kind in carparks():
            self.out.add(Carpark, {"pp_code": code, "pp_name": name, "carpark_type": kind,
                                   "address": name.replace(" Car Park", ", Singapore"),
                                   "cre_user_id": SYSTEM_USER})
        self.carparks = carparks()
        self.vip = []
        for i in range(max(8, self.n // 100)):
            self.letter()   # keeps the random stream (and so every later demo row) as it was
            # The numbering of the CAS simulator's list (simulators/cas.py generate_vehicles), which bin/demo serves:
            # the VIP list refreshed from CAS then still names the demo's VIP vehicles.
            vehicle_no = f"VIP{i + 1:07d}A"
            active = i % 7 != 6
            self.vip.append(vehicle_no)
            self.out.add(VipVehicle, {
                "vehicle_no": vehicle_no, "vip_vehicle": "Y", "description": "VIP Vehicle",
                "status": "ACTIVE" if active else "INACTIVE",
                "vip_label_status": "VALID" if active else "EXPIRED",
                "label_expiry_date": self.today + timedelta(days=self.rng.randint(-60, 400)),
                "cre_user_id": "ocmsiz_app_conn",
            })
        self.pools = {
            "S": [self.plate("S") for _ in range(max(10, self.n // 3))],
            "D": [f"SCD{self.rng.randint(1, 999)}" for _ in range(max(3, self.n // 200))],
            "I": [f"MID{self.rng.randint(1000, 9999)}" for _ in range(max(3, self.n // 200))],
            "F": [f"J{self.letter()}{self.letter()}{self.rng.randint(1, 9999)}" for _ in range(max(5, self.n // 50))],
            "X": ["UNLICENSED_PARKING"],
            "V": self.vip,
        }
        self.excluded: list[str] = []

    # -- notices ----------------------------------------------------------
    def cumulative_days(self, stage: str) -> int:
        days, prev = 0, PREVIOUS_STAGE[stage]
        while prev is not None:
            days += STAGE_DAYS.get(prev, 14)
            prev = PREVIOUS_STAGE[prev]
        return days

    def pick_vehicle_type(self, offence_type: str) -> str:
        if offence_type == "U":
            return self.rng.choice(["X", "S", "F"])
        return self.rng.choices(["S", "D", "V", "I", "F"], weights=[78, 4, 6, 4, 8])[0]

    def pick_stage(self, index: int) -> str:
        if index < len(STAGES):
            return STAGES[index]  # every stage appears at least once
        return self.rng.choices(list(_STAGE_WEIGHTS), weights=list(_STAGE_WEIGHTS.values()))[0]

    def notices(self) -> None:
        for index in range(self.n):
            self.one_notice(index)

    def one_notice(self, index: int) -> None:
        rng = self.rng
        stage = self.pick_stage(index)
        code, _desc, amount, offence_type = rng.choice(RULE_CODES)
        offence_type = {"U": "U"}.get(offence_type, rng.choices(["O", "E"], weights=[85, 15])[0])
        vtype = self.pick_vehicle_type(offence_type)
        if stage in ("DN1", "DN2", "DR3") and vtype == "X":
            vtype = "S"
        vehicle_no = rng.choice(self.pools[vtype])
        composition = Decimal(amount)
        if code == 20412 and rng.random() < 0.4:
            composition = Decimal("70.00")  # only $80 is exempt (BR-AN-EXEMPT-001)
        category = rng.choices(["C", "M", "H", "LB", "HL"], weights=[70, 10, 8, 7, 5])[0]

        age = self.cumulative_days(stage) + rng.randint(1, STAGE_DAYS.get(stage, 30))
        notice_dt = datetime.combine(self.today - timedelta(days=age), time(rng.randint(7, 22), rng.randint(0, 59)))
        last_dt = notice_dt + timedelta(days=self.cumulative_days(stage), hours=1)
        prev_stage = PREVIOUS_STAGE[stage]
        prev_dt = last_dt - timedelta(days=STAGE_DAYS.get(prev_stage, 0)) if prev_stage else None
        next_stage = NEXT_STAGE.get(stage)
        next_dt = last_dt + timedelta(days=STAGE_DAYS[stage]) if next_stage else None
        if stage in ("RR3", "DR3") and vtype == "V":
            next_dt = datetime.combine(self.today - timedelta(days=rng.randint(0, 3)), time(0))  # TS-CLV cron due

        subsystem = rng.choice(_REPCCS_SUBSYSTEMS + _CES_SUBSYSTEMS)
        pp_code, pp_name, _kind = rng.choice(self.carparks)
        notice_no = self.notice_no()
        cre_date = notice_dt + timedelta(minutes=rng.randint(5, 120))
        fee = Decimal("20.00") if stage in ("RR3", "DR3") or stage in _COURT_STAGES else Decimal("0.00")
        notice: Row = {
            "notice_no": notice_no, "vehicle_no": vehicle_no, "notice_date_and_time": notice_dt,
            "offence_notice_type": offence_type, "vehicle_registration_type": vtype,
            "vehicle_category": category, "computer_rule_code": code,
            "composition_amount": composition, "amount_payable": composition + fee,
            "amount_paid": Decimal("0.00"), "payment_status": None, "payment_acceptance_allowed": "Y",
            "subsystem_label": subsystem, "transaction_id": f"TX{rng.randrange(10**10):010d}",
            "pp_code": pp_code, "pp_name": pp_name, "offender_name": None,
            "prev_processing_stage": prev_stage, "prev_processing_date": prev_dt,
            "last_processing_stage": stage, "last_processing_date": last_dt,
            "next_processing_stage": next_stage, "next_processing_date": next_dt,
            "suspension_type": None, "crs_reason_of_suspension": None, "crs_date_of_suspension": None,
            "epr_reason_of_suspension": None, "epr_date_of_suspension": None, "due_date_of_revival": None,
            "atoms_flag": "Y" if stage in _COURT_STAGES and rng.random() < 0.5 else None,
            "an_flag": "N", "ean_sent_flag": None, "ean_sent_timestamp": None, "notification_method": None,
            "letter_sent_flag": None, "letter_sent_timestamp": None, "slift_submission_id": None,
            "unqualified_list_sent_flag": "Y" if age > 2 else "N",
            "unqualified_list_sent_timestamp": cre_date + timedelta(days=1) if age > 2 else None,
            "furnish_pending_flag": None,
            "cre_date": cre_date, "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None,
        }
        self.suspend(notice, stage, vtype, offence_type, category, code, composition, index)
        self.offenders(notice, stage, offence_type)
        self.detail(notice, category)
        self.court_and_changes(notice, stage, prev_stage)
        self.out.add(ValidOffenceNotice, notice)   # its internet mirror: mirror_internet_rows()

    def suspension_row(self, notice: Row, stype: str, reason: str, when: datetime,
                       revival_days: int | None, remarks: str, revived: datetime | None = None) -> None:
        notice_no = notice["notice_no"]
        self.sr[notice_no] = self.sr.get(notice_no, 0) + 1
        row = {
            "notice_no": notice_no, "date_of_suspension": when, "sr_no": self.sr[notice_no],
            "suspension_type": stype, "reason_of_suspension": reason,
            "suspension_source": "ocmsiz_app_conn", "officer_authorising_suspension": "ocmsizmgr_conn",
            "due_date_of_revival": when + timedelta(days=revival_days) if revival_days else None,
            "suspension_remarks": remarks, "date_of_revival": revived,
            "revival_reason": "MAN" if revived else None,
            "officer_authorising_revival": "oic_demo" if revived else None,
            "revival_remarks": "Revived after review" if revived else None,
            "cre_date": when, "cre_user_id": "ocmsiz_app_conn", "upd_date": revived, "upd_user_id": None,
        }
        self.out.add(SuspendedNotice, row)

    def set_epr(self, notice: Row, stype: str, reason: str, when: datetime, revival_days: int | None) -> None:
        notice.update(suspension_type=stype, epr_reason_of_suspension=reason, epr_date_of_suspension=when,
                      due_date_of_revival=when + timedelta(days=revival_days) if revival_days else None)

    def suspend(self, notice: Row, stage: str, vtype: str, offence_type: str, category: str,
                code: int, composition: Decimal, index: int) -> None:
        rng = self.rng
        last_dt: datetime = notice["last_processing_date"]
        roll = rng.random()
        an_candidate = (offence_type == "O" and vtype in ("S", "D", "V", "I") and stage in _EARLY_STAGES
                        and not (code == 11210 and category in ("LB", "HL"))
                        and not (code == 20412 and composition == Decimal("80.00")))
        if vtype == "V" and stage == "NPA":
            if an_candidate and roll < 0.4:  # VIP AN awaiting the AN-letter cron (OCMS 14 §7.2.4)
                notice.update(an_flag="Y", payment_acceptance_allowed="N",
                              next_processing_date=datetime.combine(self.today, time(0)))
            else:
                self.set_epr(notice, "TS", "OLD", notice["cre_date"], 21)
                self.suspension_row(notice, "TS", "OLD", notice["cre_date"], 21, "VIP vehicle - OIC investigation")
            return
        if vtype == "V" and stage == "CPC":
            when = last_dt
            # OCMS 14 tab 5's UPDATE: next stage CSD, next_processing_date NULL - the TS-CLV loop holds it at CPC.
            notice.update(next_processing_stage="CSD", next_processing_date=None)
            self.set_epr(notice, "TS", "CLV", when, 30)
            self.suspension_row(notice, "TS", "CLV", when, 30, "VIP vehicle outstanding at CPC")
            return
        if an_candidate and (roll < 0.12 or index == len(STAGES)):
            self.advisory(notice)
            return
        if roll < 0.32:
            self.paid(notice, last_dt)
            return
        if roll < 0.35:
            self.set_epr(notice, "PS", "DBB", notice["cre_date"], 30)
            self.suspension_row(notice, "PS", "DBB", notice["cre_date"], 30, "Double booking detected")
            return
        if roll < 0.40:
            when = last_dt + timedelta(days=1)
            self.set_epr(notice, "TS", "APP", when, 21)
            self.suspension_row(notice, "TS", "APP", when, 21, "Appeal under review")
            return
        if roll < 0.41:
            self.set_epr(notice, "TS", "OLD", notice["cre_date"], 21)
            self.suspension_row(notice, "TS", "OLD", notice["cre_date"], 21, "DBB check failed - fallback")
            return
        if roll < 0.45 and stage in ("CPC", "CFC", "CSD") and self.vip:
            # Amended V→S: was VIP under TS-CLV, revived when the type changed (OCMS 14 §7.9.1).
            notice.update(vehicle_registration_type="S", vehicle_no=rng.choice(self.vip))
            when = last_dt
            self.suspension_row(notice, "TS", "CLV", when, 30, "VIP vehicle outstanding at CPC",
                                revived=when + timedelta(days=rng.randint(1, 20)))

    def paid(self, notice: Row, last_dt: datetime) -> None:
        rng = self.rng
        if rng.random() < 0.3:  # an earlier appeal suspension, revived before payment
            start = last_dt - timedelta(days=10)
            self.suspension_row(notice, "TS", "APP", start, 21, "Appeal under review", revived=start + timedelta(days=5))
        when = last_dt + timedelta(days=rng.randint(0, 5), hours=2)
        reduced = rng.random() < 0.12
        reason = "PRA" if reduced else "FP"
        paid = (notice["amount_payable"] * Decimal("0.5")).quantize(Decimal("0.01")) if reduced else notice["amount_payable"]
        notice.update(suspension_type="PS", crs_reason_of_suspension=reason, crs_date_of_suspension=when,
                      amount_paid=paid, payment_status="PAID", payment_acceptance_allowed="N")
        self.suspension_row(notice, "PS", reason, when, None, "Payment received")

    def advisory(self, notice: Row) -> None:
        """A qualified AN the an-notifications job has notified (eAN or letter) and suspended PS-ANS."""
        rng = self.rng
        when = notice["cre_date"] + timedelta(minutes=10)
        notice.update(an_flag="Y", payment_acceptance_allowed="N")
        self.set_epr(notice, "PS", "ANS", when, 30)
        self.suspension_row(notice, "PS", "ANS", when, 30, "Advisory Notice detected - qualified AN")
        if rng.random() < 0.6:
            channel = rng.choice(["SMS", "EMAIL"])
            self.out.add(AnNotification, an_work_row(
                notice["notice_no"], "DONE", "APPLY_PS_ANS", notice["cre_date"], when, owner_result="FOUND",
                contact_result="FOUND", ps_ans_applied="Y", **{f"{channel.lower()}_result": "SUCCESS"}))
            notice.update(ean_sent_flag="Y", ean_sent_timestamp=when, notification_method=channel)
            self.out.add(EanNotificationLog, {
                "notice_no": notice["notice_no"], "channel": channel,
                "recipient_mobile": f"9{rng.randrange(10**7):07d}" if channel == "SMS" else None,
                "recipient_email": "owner@example.com" if channel == "EMAIL" else None,
                "message_content": f"Advisory Notice {notice['notice_no']}", "message_id": f"M{rng.randrange(10**9)}",
                "sent_timestamp": when, "status": "SUCCESS", "retry_count": rng.choice([0, 0, 0, 1]),
                "cre_date": when, "cre_user_id": "ocmsiz_app_conn",
            })
        else:
            submission = f"SL{rng.randrange(10**8):08d}"
            notice.update(letter_sent_flag="Y", letter_sent_timestamp=when, slift_submission_id=submission)
            self.out.add(AnNotification, an_work_row(
                notice["notice_no"], "DONE", "APPLY_PS_ANS", notice["cre_date"], when, owner_result="FOUND",
                contact_result="NONE", address_result="FOUND", letter_result="SUCCESS", ps_ans_applied="Y"))
            self.out.add(AnLetterLog, {
                "notice_no": notice["notice_no"], "recipient_name": self.person(),
                "recipient_address": f"BLK {rng.randint(1, 999)} {rng.choice(self.carparks)[1].replace(' Car Park', '')} #0{rng.randint(1, 9)}-{rng.randint(10, 99)} S{rng.randint(100000, 829999)}",
                "letter_file_path": letter_file_path(when, notice["notice_no"]), "slift_submission_id": submission,
                "sent_timestamp": when, "status": "SUCCESS", "retry_count": 0,
                "cre_date": when, "cre_user_id": "ocmsiz_app_conn",
            })

    def offender_row(self, notice_no: str, role: str, current: bool, name: str, id_no: str,
                     id_type: str, when: datetime) -> Row:
        rng = self.rng
        has_contact = rng.random() < 0.6
        return {
            "notice_no": notice_no, "owner_driver_indicator": role, "is_current": "Y" if current else "N",
            "id_type": id_type, "id_no": id_no, "name": name,
            "bldg_name": None, "street_name": rng.choice(self.carparks)[1].replace(" Car Park", ""),
            "unit_no": f"#{rng.randint(1, 20):02d}-{rng.randint(1, 150):02d}",
            "postal_code": f"{rng.randint(100000, 829999)}",
            "mobile_no": f"9{rng.randrange(10**7):07d}" if has_contact else None,
            "email_addr": f"{id_no.lower()}@example.com" if has_contact and rng.random() < 0.5 else None,
            "mha_checked_date": when if role != "DIR" else None, "is_deceased": "N",
            "cre_date": when, "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None,
        }

    def offenders(self, notice: Row, stage: str, offence_type: str) -> None:
        rng = self.rng
        notice_no, when = notice["notice_no"], notice["cre_date"]
        if stage == "NPA" or notice["vehicle_no"] == "UNLICENSED_PARKING":
            return  # owner not yet known
        if notice["vehicle_registration_type"] == "I":
            self.out.add(OffenceNoticeOwnerDriver, self.offender_row(
                notice_no, "O", True, "MINDEF", "T08GA0001A", "UEN", when))
            notice["offender_name"] = "MINDEF"
            return
        company = rng.random() < 0.15
        owner_name = rng.choice(_COMPANIES) if company else self.person()
        owner_id = f"{rng.randint(190000000, 202699999)}{self.letter()}" if company else self.nric()
        role = "O"
        if stage in ("DN1", "DN2", "DR3"):
            role = "D"
        elif stage in ("RD1", "RD2", "RR3", "CPC", "CFC") and rng.random() < 0.15:
            role = "H" if rng.random() < 0.6 else "DIR"
        if role == "DIR":
            company, owner_name = True, rng.choice(_COMPANIES)
            owner_id = f"{rng.randint(190000000, 202699999)}{self.letter()}"
        self.out.add(OffenceNoticeOwnerDriver, self.offender_row(
            notice_no, "O", role == "O", owner_name, owner_id, "UEN" if company else "NRIC", when))
        if notice["an_flag"] == "Y" and len(self.excluded) < 10 and rng.random() < 0.2 and not company:
            self.excluded.append(owner_id)
        current_name = owner_name
        if role != "O":
            furnished = notice["last_processing_date"] - timedelta(days=rng.randint(3, 10))
            current_name = self.person()
            person_id = self.nric()
            self.out.add(OffenceNoticeOwnerDriver, self.offender_row(
                notice_no, role, True, current_name, person_id, "NRIC", furnished))
            if role in ("D", "H"):
                self.furnish(notice_no, "DRIVER" if role == "D" else "HIRER", current_name, person_id,
                             furnished, "APPROVED")
        elif stage in ("RD1", "RD2") and rng.random() < 0.04:
            self.furnish(notice_no, "DRIVER", self.person(), self.nric(),
                         self.now - timedelta(days=rng.randint(0, 3)), "PENDING_APPROVAL")
            notice["furnish_pending_flag"] = "Y"   # OCMS 14 tab 4: the notices show furnish pending
        notice["offender_name"] = current_name

    def furnish(self, notice_no: str, kind: str, name: str, id_no: str, submitted: datetime, status: str) -> None:
        self.furnish_sequence = getattr(self, "furnish_sequence", 0) + 1
        decided = status != "PENDING_APPROVAL"
        row = {
            "application_id": f"FA{submitted:%Y%m%d}{self.furnish_sequence:05d}", "notice_no": notice_no,
            "furnish_type": kind, "id_type": "NRIC", "id_no": id_no, "name": name,
            "contact_no": f"9{self.rng.randrange(10**7):07d}", "email_addr": None, "status": status,
            "submitted_date": submitted - timedelta(days=1 if decided else 0),
            "decision_date": submitted if decided else None, "decided_by": "AUTO" if decided else None,
            "rejection_reason": None, "synced_date": submitted,
            "cre_date": submitted, "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None,
        }
        self.out.add(FurnishApplication, row)

    def detail(self, notice: Row, category: str) -> None:
        rng = self.rng
        make, model = rng.choice(_MAKES)
        self.out.add(OffenceNoticeDetail, {
            "notice_no": notice["notice_no"], "lot_no": f"{rng.choice('ABCDE')}{rng.randint(1, 250)}",
            "vehicle_make": make, "vehicle_model": model, "colour_of_vehicle": rng.choice(_COLOURS),
            "road_tax_expiry_date": self.today + timedelta(days=rng.randint(-30, 365)),
            "diplomatic_flag": "Y" if notice["vehicle_registration_type"] == "D" else "N",
            "image_count": rng.randint(1, 4), "remarks": None,
            "cre_date": notice["cre_date"], "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None,
        })

    def court_and_changes(self, notice: Row, stage: str, prev_stage: str | None) -> None:
        rng = self.rng
        last_dt: datetime = notice["last_processing_date"]
        if stage in _COURT_STAGES:
            self.out.add(CourtCase, {
                "notice_no": notice["notice_no"], "court_case_no": f"CC/{last_dt:%Y}/{rng.randrange(10**6):06d}",
                "court_date": last_dt + timedelta(days=rng.randint(14, 60)) if stage in ("CRT", "CRC", "CFI") else None,
                "court_payment_due_date": (last_dt + timedelta(days=30)).date() if rng.random() < 0.5 else None,
                "cre_date": last_dt, "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None,
            })
        if prev_stage and stage in ("RD1", "RD2", "RR3", "DN1", "DN2", "DR3", "CFC") and rng.random() < 0.08:
            source = rng.choice(["OCMS", "PLUS", "SYSTEM"])
            reason = rng.choice(["MHA", "REC", "OTH"])
            self.out.add(ChangeOfProcessing, {
                "notice_no": notice["notice_no"], "date_of_change": last_dt.date(),
                "last_processing_stage": prev_stage, "new_processing_stage": stage,
                "reason_of_change": reason, "authorised_officer": "oic_demo" if source != "SYSTEM" else "SYSTEM",
                "source": source, "remarks": "Changed on request of the officer" if reason == "OTH" else None,
                "cre_date": last_dt, "cre_user_id": "oic_demo",
            })

    # -- operational rows -------------------------------------------------
    def operations(self) -> None:
        rng = self.rng
        for id_no in dict.fromkeys(self.excluded or [self.nric()]):
            self.out.add(ENotificationExclusion, {"id_no": id_no, "id_type": "NRIC",
                                                  "reason": "Opted out of eNotifications",
                                                  "cre_user_id": "ocmsiz_app_conn"})
        for days_ago in range(1, 8):
            day = self.today - timedelta(days=days_ago)
            for subsystem in ("REPCCS", "CES"):
                total = rng.randint(0, 40)
                failed = rng.choice([0, 0, 0, min(total, 2)])
                self.out.add(UnqualifiedAnTransmissionLog, {
                    "transmission_date": day, "subsystem": subsystem, "total_count": total,
                    "success_count": total - failed, "failed_count": failed, "retry_count": 1 if failed else 0,
                    "status": "PARTIAL" if failed else "SUCCESS",
                    "cre_date": datetime.combine(day, time(2, 0)), "cre_user_id": "ocmsiz_cron",
                })


# ---- the README's examples ------------------------------------------------------------------------------
#: The showcase notices: number -> what the README does with it.
SHOWCASE = {
    "500400058V": "CAS API 1: TS-APP, $300.00 payable, nothing paid",
    "500400059W": "CAS API 1 / PLUS API 4: paid in full (PS-FP): ALREADY_PAID",
    "500400060N": "CAS API 2: a court notice at CSR",
    "500400061P": "PLUS API 4: unpaid, no payment suspension: OK",
    "500400062Q": "CPS validate/submit: RD1, one current owner: changeable to RD2",
    "500400063R": "CPS validate/submit: at court stage CRT: not changeable",
    "500400064S": "PLUS CPS: RD1, one current owner: RD1 -> RR3",
    "500400065T": "Toppan ROV -> RD1: automatic",
    "500400066V": "Toppan ROV -> RD1: automatic",
    "500400067W": "Toppan ROV -> RD1: changed by an officer today: manual (stage only)",
    "500400068X": "Toppan ROV -> RD1: already at RD2: skipped",
    "500400069Y": "ANS report: SZZ7001A suspended PS-ANS yesterday; the past offence of the REPCCS example",
    "500490001A": "VIP revival: a VIP vehicle's notice at NPA suspended TS-OLD five days ago",
    "500400080S": "Furnish driver/hirer: RD1, one current owner, no application yet",
    "500400090V": "AN review queue: LTA failed after its retries (AN_LTA_FAILED), as the an-notifications job leaves it",
    "500400091W": "AN review queue: MHA has no registered address (AN_MHA_NO_ADDRESS)",
    "500400092X": "AN review queue: SLIFT failed after its retries (AN_SLIFT_FAILED); the letter is in the store",
}
#: Vehicles of the showcase (the generated set never uses them).
SHOWCASE_VEHICLES = ("SBA1234A", "SKL888Z", "SZZ7001A", "SGX5678B", "VIP9000001A", "SFN2468K", "SRV7001A", "SRV7002B",
                     "SRV7003C")


def letter_file_path(when: datetime, notice_no: str) -> str:
    """``ocms_an_letter_log.letter_file_path`` as the an-notifications job writes it: relative to the letter store
    (``OCMS_AN_LETTER_DIR``), ``<YYYYMMDD>/<noticeNo>.pdf`` (api/notifications/letter_files.py)."""
    return f"{when:%Y%m%d}/{notice_no}.pdf"


def an_work_row(notice_no: str, status: str, step: str, created: datetime, updated: datetime, **results: Any) -> Row:
    """An ``ocms_an_notification`` row as the an-notifications job leaves it (results not named: not done)."""
    row: Row = {"notice_no": notice_no, "status": status, "step": step, "owner_result": None, "contact_result": None,
                "sms_result": None, "email_result": None, "address_result": None, "letter_result": None,
                "ps_ans_applied": "N", "attempts": 1, "last_error": None, "review_id": None, "claimed_by": None,
                "claimed_until": None, "cre_date": created, "cre_user_id": SYSTEM_USER, "upd_date": updated,
                "upd_user_id": SYSTEM_USER}
    row.update(results)
    return row


#: The AN notifications waiting for staff: notice, vehicle, review type, the route's message, the last error, the
#: step results, the owner LTA gave (name, NRIC, address) — each as the an-notifications job hands it over
#: (rules/an_notification_route.yaml), so ``GET /v1/an/notifications/reviews`` lists them and RETRY / CLOSE work.
_AN_REVIEWS = (
    ("500400090V", "SRV7001A", "AN_LTA_FAILED", "LTA vehicle owner check failed after retries",
     "LTA: failed after 4 attempt(s); last error: HTTP 503", {"owner_result": "FAILED"}, None),
    ("500400091W", "SRV7002B", "AN_MHA_NO_ADDRESS", "MHA returned no registered address", None,
     {"owner_result": "FOUND", "contact_result": "NONE", "address_result": "NO_ADDRESS"},
     ("ONG HUI MIN", "S7000071D", None)),
    ("500400092X", "SRV7003C", "AN_SLIFT_FAILED", "SLIFT submission failed after retries",
     "SLIFT: failed after 4 attempt(s); last error: HTTP 503",
     {"owner_result": "FOUND", "contact_result": "NONE", "address_result": "FOUND", "letter_result": "FAILED"},
     ("HO JUN HAO", "S7000072B", ("123 KIM KEAT AVENUE", "#05-12", "310123"))),
)
_RESULT_COLUMNS = ("owner_result", "contact_result", "sms_result", "email_result", "address_result", "letter_result")


def an_reviews(g: "_Generator", notice) -> None:
    """The AN review queue's showcase (:data:`_AN_REVIEWS`): the qualified AN, the owner and logs the job recorded,
    its work row in REVIEW and the OPEN queue row (linked by :func:`repository.seed.link_an_reviews`)."""
    out = g.out
    for no, vehicle, review_type, message, error, results, owner in _AN_REVIEWS:
        r = notice(no, vehicle, "NPA", 2, computer_rule_code=10100, an_flag="Y", payment_acceptance_allowed="N",
                   unqualified_list_sent_flag=None, unqualified_list_sent_timestamp=None)
        when = r["cre_date"] + timedelta(minutes=1)
        address = None
        if owner:
            name, nric, address = owner
            street, unit, postal = address or (None, None, None)
            out.add(OffenceNoticeOwnerDriver, {
                "notice_no": no, "owner_driver_indicator": "O", "is_current": "Y", "id_type": "NRIC", "id_no": nric,
                "name": name, "bldg_name": None, "street_name": street, "unit_no": unit, "postal_code": postal,
                "mobile_no": None, "email_addr": None, "mha_checked_date": when, "is_deceased": "N",
                "cre_date": when, "cre_user_id": SYSTEM_USER, "upd_date": None, "upd_user_id": None})
        if results.get("letter_result") == "FAILED":
            out.add(AnLetterLog, {
                "notice_no": no, "recipient_name": owner[0], "recipient_address": f"{street}, {unit}, SINGAPORE {postal}",
                "letter_file_path": letter_file_path(when, no), "slift_submission_id": None, "sent_timestamp": None,
                "status": "FAILED", "retry_count": 3, "cre_date": when, "cre_user_id": SYSTEM_USER})
        out.add(AnNotification, an_work_row(no, "REVIEW", "MANUAL_REVIEW", r["cre_date"], when, last_error=error,
                                            **results))
        out.add(ManualReviewQueue, {
            "notice_no": no, "review_type": review_type, "reason": f"{message}: {error}" if error else message,
            "details": {"source": "an-notifications", "workId": None, "vehicleNo": vehicle,
                        "results": {c: results.get(c) for c in _RESULT_COLUMNS}, "actions": []},
            "status": "OPEN", "cre_date": when, "cre_user_id": SYSTEM_USER})


def _showcase_notice(no: str, vehicle: str, stage: str, notice_dt: datetime, **overrides: Any) -> Row:
    row: Row = {
        "notice_no": no, "vehicle_no": vehicle, "notice_date_and_time": notice_dt,
        "offence_notice_type": "O", "vehicle_registration_type": "S", "vehicle_category": "C",
        "computer_rule_code": 10300, "composition_amount": Decimal("70.00"), "amount_payable": Decimal("70.00"),
        "amount_paid": Decimal("0.00"), "payment_status": None, "payment_acceptance_allowed": "Y",
        "subsystem_label": "001", "transaction_id": f"DEMO-{no}", "pp_code": "A0001",
        "pp_name": "Ang Mo Kio Ave 3 Car Park", "offender_name": None,
        "prev_processing_stage": None, "prev_processing_date": None,
        "last_processing_stage": stage, "last_processing_date": notice_dt + timedelta(days=3),
        "next_processing_stage": NEXT_STAGE.get(stage), "next_processing_date": None,
        "suspension_type": None, "crs_reason_of_suspension": None, "crs_date_of_suspension": None,
        "epr_reason_of_suspension": None, "epr_date_of_suspension": None, "due_date_of_revival": None,
        "atoms_flag": None, "an_flag": "N", "ean_sent_flag": None, "ean_sent_timestamp": None,
        "notification_method": None, "letter_sent_flag": None, "letter_sent_timestamp": None,
        "slift_submission_id": None, "unqualified_list_sent_flag": "Y",
        "unqualified_list_sent_timestamp": notice_dt + timedelta(days=1), "furnish_pending_flag": None,
        "cre_date": notice_dt + timedelta(minutes=30), "cre_user_id": "ocmsiz_app_conn",
        "upd_date": None, "upd_user_id": None,
    }
    row.update(overrides)
    if row["next_processing_stage"] and row["next_processing_date"] is None:
        row["next_processing_date"] = row["last_processing_date"] + timedelta(days=STAGE_DAYS.get(stage, 14))
    return row


def showcase(g: "_Generator") -> None:
    """The README's example notices (:data:`SHOWCASE`), dated relative to ``g.today``."""
    day = datetime.combine(g.today, time(9, 0))
    out = g.out

    def notice(no, vehicle, stage, days_ago, owner=None, **kw):
        row = _showcase_notice(no, vehicle, stage, day - timedelta(days=days_ago), **kw)
        if owner:
            row["offender_name"] = owner
            out.add(OffenceNoticeOwnerDriver, g.offender_row(no, "O", True, owner, f"S{no[3:10]}", "NRIC",
                                                              row["cre_date"]))
        out.add(ValidOffenceNotice, row)   # changed further below (suspensions): mirrored at the end
        out.add(OffenceNoticeDetail, {"notice_no": no, "lot_no": "A12", "vehicle_make": "TOYOTA",
                                      "vehicle_model": "COROLLA", "colour_of_vehicle": "WHITE",
                                      "road_tax_expiry_date": g.today + timedelta(days=200), "diplomatic_flag": "N",
                                      "image_count": 2, "remarks": None, "cre_date": row["cre_date"],
                                      "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None})
        return row

    appeal = day - timedelta(days=10)
    r = notice("500400058V", "SBA1234A", "RD2", 40, owner="TAN WEI MING", amount_payable=Decimal("300.00"),
               composition_amount=Decimal("300.00"), computer_rule_code=30100, offence_notice_type="E")
    g.set_epr(r, "TS", "APP", appeal, 21)
    g.suspension_row(r, "TS", "APP", appeal, 21, "Appeal under review")

    paid = day - timedelta(days=5)
    r = notice("500400059W", "SKL888Z", "RD1", 30, owner="LIM SIEW LING", amount_paid=Decimal("70.00"),
               payment_status="PAID", payment_acceptance_allowed="N")
    r.update(suspension_type="PS", crs_reason_of_suspension="FP", crs_date_of_suspension=paid)
    g.suspension_row(r, "PS", "FP", paid, 30, "Payment received")

    r = notice("500400060N", "SGX5678B", "CSR", 120, owner="NG KAI", prev_processing_stage="CSD",
               amount_payable=Decimal("90.00"))
    out.add(CourtCase, {"notice_no": "500400060N", "court_case_no": "CC/DEMO/000001", "court_date": None,
                        "court_payment_due_date": None, "cre_date": r["last_processing_date"],
                        "cre_user_id": "ocmsiz_app_conn", "upd_date": None, "upd_user_id": None})
    notice("500400061P", "SBA1234A", "RD1", 25, owner="TAN WEI MING")
    notice("500400062Q", "SGX5678B", "RD1", 20, owner="NG KAI", prev_processing_stage="ROV")
    notice("500400063R", "SKL888Z", "CRT", 200, owner="LIM SIEW LING", prev_processing_stage="CSR")
    notice("500400064S", "SBA1234A", "RD1", 18, owner="TAN WEI MING", prev_processing_stage="ROV")
    for no in ("500400065T", "500400066V", "500400067W"):
        notice(no, "SGX5678B", "ROV", 6, prev_processing_stage="NPA")
    out.add(ChangeOfProcessing, {  # an officer moved it NPA -> ROV today: Toppan changes its stage only
        "notice_no": "500400067W", "date_of_change": g.today, "last_processing_stage": "NPA",
        "new_processing_stage": "ROV", "reason_of_change": "SUP", "authorised_officer": "oic_demo",
        "source": "OCMS", "remarks": None, "cre_date": day, "cre_user_id": "oic_demo"})
    notice("500400068X", "SGX5678B", "RD2", 50, owner="NG KAI", prev_processing_stage="RD1")
    notice("500400080S", "SFN2468K", "RD1", 15, owner="LIM SIEW LING", prev_processing_stage="ROV")

    ans = day - timedelta(days=1)
    r = notice("500400069Y", "SZZ7001A", "NPA", 21, computer_rule_code=10100, subsystem_label="030",
               an_flag="Y", payment_acceptance_allowed="N")
    g.set_epr(r, "PS", "ANS", ans, 30)
    g.suspension_row(r, "PS", "ANS", ans, 30, "Advisory Notice detected - qualified AN")

    old = day - timedelta(days=5)
    out.add(VipVehicle, {"vehicle_no": "VIP9000001A", "vip_vehicle": "Y", "description": "VIP Vehicle", "status": "ACTIVE",
                         "vip_label_status": "VALID", "label_expiry_date": g.today + timedelta(days=300),
                         "cre_date": day - timedelta(days=400), "cre_user_id": "ocmsiz_app_conn",
                         "upd_date": None, "upd_user_id": None})
    r = notice("500490001A", "VIP9000001A", "NPA", 5, vehicle_registration_type="V", offence_notice_type="E")
    g.set_epr(r, "TS", "OLD", old, 21)
    g.suspension_row(r, "TS", "OLD", old, 21, "VIP vehicle notice")

    an_reviews(g, notice)


#: Models in insert order (parents before children).
INSERT_ORDER: tuple[type, ...] = (
    Carpark, VipVehicle, ENotificationExclusion, ValidOffenceNotice, EValidOffenceNotice,
    OffenceNoticeDetail, OffenceNoticeOwnerDriver, SuspendedNotice, ESuspendedNotice, CourtCase,
    ChangeOfProcessing, FurnishApplication, EFurnishApplication, AnNotification, EanNotificationLog, AnLetterLog,
    UnqualifiedAnTransmissionLog, ManualReviewQueue,
)


#: Intranet model -> its internet-zone mirror (the eService reads the mirror: it must agree with the intranet).
MIRRORS: dict[type, type] = {
    ValidOffenceNotice: EValidOffenceNotice, SuspendedNotice: ESuspendedNotice, FurnishApplication: EFurnishApplication,
}


def mirror_internet_rows(out: DemoRows) -> None:
    """Give every intranet row of :data:`MIRRORS` its internet copy, taken once all its rows are final.

    Copying at the end (not when a row is first added) keeps the mirrors equal to the intranet rows whatever a
    generator changes afterwards (a showcase notice's suspension or payment is set after the notice is added).
    """
    for model, mirror in MIRRORS.items():
        columns = set(mirror.__table__.columns.keys())
        out.rows[mirror] = [{k: v for k, v in row.items() if k in columns} for row in out.rows.get(model, [])]


def build_demo_rows(seed: int, notices: int, today: date) -> DemoRows:
    """Generate the demo rows for ``notices`` notices; same seed and day, same rows."""
    generator = _Generator(seed, notices, today)
    generator.reference()
    showcase(generator)
    generator.notices()
    generator.operations()
    mirror_internet_rows(generator.out)
    return generator.out
