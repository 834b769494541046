"""A VIP notice's life walked day by day (OCMS 14 tabs 1, 2 and 5), every daily job run each day, with faults."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from repository.models import (
    ChangeOfProcessing, LetterDelivery, ManualReviewQueue, OffenceNoticeOwnerDriver, PendingCheck, SuspendedNotice, ValidOffenceNotice,
    now,
)
from tests.api.vip.conftest import KEYS, all_rows, get

from .test_progression import config_of

TODAY = now().date()


def test_a_vip_notice_from_creation_through_the_ts_clv_loop(externals, vip_app, vdb, registry):
    from api.clients.sftp import SftpClient
    from api.stages.checks import Clients
    from api.stages.progression import progress_stages
    from api.vip.revival import revive_due_ts_old
    from api.vip.ts_clv import reapply_ts_clv, suspend_ts_clv

    r = vip_app.test_client().post("/v1/repccsWebhook", headers={"Ocp-Apim-Subscription-Key": KEYS["repccs"]}, json={
        "transactionId": "T-LIFE", "subsystemLabel": "001", "noticeNo": "500400058A", "vehicleNo": "VIP7777Z",
        "computerRuleCode": 10100, "compositionAmount": 70.00, "noticeDateAndTime": f"{TODAY}T08:30:00",
        "offenceNoticeType": "O", "vehicleRegistrationType": "V", "ppCode": "A0001", "ppName": "AMK Car Park"})
    assert r.status_code == 200
    config = config_of(externals, vip_app)
    clients = Clients.from_config(config, registry.get("stage_progression").parameters)
    sftp = SftpClient.from_config(config)
    faults = {22: lambda: externals.lta.fail_next(2),            # ROV day: LTA fails twice, the retries get through
              26: lambda: externals.mha.fail_always(503)}        # before RD1: MHA unavailable
    mended = {27: externals.mha.reset}
    stages: dict[int, str] = {}
    try:
        for d in range(0, 160):
            day = TODAY + dt.timedelta(days=d)
            faults.get(d, lambda: None)()
            mended.get(d, lambda: None)()
            if d == 125:   # the vehicle's type is amended V -> S (e.g. by an OIC): it will leave the loop
                with vdb.unit_of_work() as uow:
                    uow.session.execute(update(ValidOffenceNotice).values(vehicle_registration_type="S"))
                    uow.commit()
            with vdb.unit_of_work() as uow:                                    # the day's timetable
                reapply_ts_clv(uow, registry, day)
                revive_due_ts_old(uow, registry, day)
                uow.commit()
                progress_stages(uow, registry, day, clients, sftp, templates_dir=config["OCMS_TEMPLATES_DIR"])
                suspend_ts_clv(uow, registry, day)
                uow.commit()
            v = get(vdb, ValidOffenceNotice, "500400058A")
            stages[d] = f"{v.last_processing_stage}{'/' + v.suspension_type + '-' + v.epr_reason_of_suspension if v.suspension_type else ''}"
    finally:
        sftp.close()
        clients.close()

    changes = [d for d in range(1, 160) if stages[d] != stages[d - 1]]
    timeline = [(d, stages[d]) for d in changes]
    assert stages[0] == "NPA/TS-OLD"
    # day 21 TS-OLD revived (21 days), NPA +2 ROV; RD1 due on day 26, but MHA is down and the owner LTA gave has
    # no address yet: tab 9 "proceed without update" - RD1 all the same, its letter queued for an officer
    # (LETTER_NO_ADDRESS), MHA retried on day 27 (pending check); +21 RD2, +21 RR3 with their letters;
    # +21 CPC with TS-CLV (EOD job)
    assert timeline[:6] == [(21, "NPA"), (23, "ROV"), (26, "RD1"), (47, "RD2"), (68, "RR3"), (89, "CPC/TS-CLV")], timeline
    # day 119: TS-CLV due (30 days), still VIP: revived and re-applied (no visible change); day 149: due again,
    # but the vehicle is no longer VIP since day 125: revived, loop left
    assert timeline[6:] == [(149, "CPC")], timeline
    v = get(vdb, ValidOffenceNotice, "500400058A")
    assert (v.vehicle_registration_type, v.next_processing_stage) == ("S", "CSD")

    # what the life left behind
    reasons = [(s.reason_of_suspension, s.revival_reason) for s in sorted(all_rows(vdb, SuspendedNotice), key=lambda s: s.sr_no)]
    assert reasons == [("OLD", "AUT"), ("CLV", "AUT"), ("CLV", "AUT")]
    moves = sorted((c.date_of_change, c.last_processing_stage, c.new_processing_stage) for c in all_rows(vdb, ChangeOfProcessing))
    assert [(a, b) for _, a, b in moves] == [("NPA", "ROV"), ("ROV", "RD1"), ("RD1", "RD2"), ("RD2", "RR3"), ("RR3", "CPC")]
    letters = sorted(x.letter_type for x in all_rows(vdb, LetterDelivery))
    assert letters == ["RD2", "RR3"] and len(externals.sftp.files()) == 2
    (review,) = all_rows(vdb, ManualReviewQueue)
    assert (review.notice_no, review.review_type, review.status) == ("500400058A", "LETTER_NO_ADDRESS", "OPEN")
    (o,) = all_rows(vdb, OffenceNoticeOwnerDriver)
    assert o.id_no and o.mha_checked_date is not None            # the owner from LTA, MHA caught up on day 27
    (p,) = all_rows(vdb, PendingCheck)
    assert p.system == "MHA" and p.resolved_at is not None
