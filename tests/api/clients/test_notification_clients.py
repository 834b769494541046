"""The SMS gateway, email service and SLIFT clients against their simulators over loopback (OCMS 10 §3.5-3.6)."""
from __future__ import annotations

import pytest

from api.clients.email_service import EmailServiceClient
from api.clients.http import ExternalCallError, RetryPolicy
from api.clients.json_api import NotConfigured
from api.clients.slift import SliftClient, SliftRejected
from api.clients.sms import SmsClient
from simulators.messaging import EmailSimulator, SmsSimulator
from simulators.slift import SliftSimulator

FAST = RetryPolicy(retries=3, backoff=0, timeout=1.0)


@pytest.fixture
def sms():
    with SmsSimulator(api_key="sms-key") as s:
        yield s


def test_sms_sent_with_the_spec_body_and_key(sms):
    out = SmsClient(sms.url, "sms-key", FAST).send("91234567", "Advisory Notice 1", "URA_OCMS")
    assert out.value.message_id.startswith("SMS-") and out.attempts == 1
    (call,) = sms.calls
    assert call["json"] == {"mobileNumber": "91234567", "message": "Advisory Notice 1", "sender": "URA_OCMS"}


def test_an_sms_left_unanswered_is_in_doubt_and_never_resent(sms):
    """A read timeout after the request went out: the gateway may have sent it (a reviewer saw two SMS)."""
    sms.time_out_next(10, delay=2)
    with pytest.raises(ExternalCallError) as e:
        SmsClient(sms.url, "sms-key", FAST, sleep=lambda s: None).send("91234567", "x")
    assert e.value.in_doubt and e.value.attempts == 1 and len(sms.calls_to("/send")) == 1


def test_an_sms_gateway_not_listening_is_retried_not_in_doubt():
    import socket
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(ExternalCallError) as e:
        SmsClient(f"http://127.0.0.1:{port}", "sms-key", FAST, sleep=lambda s: None).send("91234567", "x")
    assert not e.value.in_doubt and e.value.attempts == 4


@pytest.mark.parametrize("fault", ["reject", "html", "not_json", "wrong_type", "empty", "500"])
def test_sms_failures_are_retried_then_raised(sms, fault):
    if fault == "reject":
        sms.reject_next(10)
    elif fault == "empty":
        sms.empty_next(10)
    elif fault == "500":
        sms.fail_always(500)
    else:
        sms.malformed_next(10, fault)
    with pytest.raises(ExternalCallError) as e:
        SmsClient(sms.url, "sms-key", FAST, sleep=lambda s: None).send("91234567", "x")
    assert e.value.attempts == 4 and not e.value.in_doubt and len(sms.calls_to("/send")) == 4
    if fault in ("reject", "500", "empty"):    # the gateway refused each one (a garbled or late answer may follow a send)
        assert sms.sent == []


def test_sms_wrong_key_is_final_and_unconfigured_makes_no_call(sms):
    with pytest.raises(ExternalCallError) as e:
        SmsClient(sms.url, "wrong", FAST).send("91234567", "x")
    assert e.value.status == 401 and e.value.attempts == 1
    with pytest.raises(NotConfigured):
        SmsClient(None, None, FAST).send("91234567", "x")


def test_email_sent_and_recovers_within_retries():
    with EmailSimulator() as em:
        em.fail_next(2, 503)
        out = EmailServiceClient(em.url, None, FAST, sleep=lambda s: None).send("a@example.com", "S", "B")
        assert out.attempts == 3 and em.sent[0]["to"] == "a@example.com" and em.sent[0]["subject"] == "S"


def test_slift_multipart_submission_and_rejection():
    with SliftSimulator() as sl:
        client = SliftClient(sl.url, None, FAST, sleep=lambda s: None)
        out = client.submit("500400058A", "SBA1234A", b"%PDF-1.4 test", "TAN AH KOW", "1 AMK AVE, SINGAPORE 560001")
        assert out.value.submission_id.startswith("SLIFT-") and out.value.estimated_print_date.isoformat() == "2026-01-17"
        (sub,) = sl.submissions
        assert (sub["noticeNumber"], sub["letterType"], sub["priority"], sub["letterFile"]) == \
            ("500400058A", "ADVISORY_NOTICE", "NORMAL", b"%PDF-1.4 test")
        sl.reject_next(1, "Invalid recipient address")
        with pytest.raises(SliftRejected) as e:
            client.submit("500400059A", "SBA1234A", b"%PDF-1.4", "TAN", "ADDR")
        assert e.value.attempts == 1 and "Invalid recipient address" in str(e.value)
        with pytest.raises(SliftRejected):           # an empty file is refused by SLIFT's validation
            client.submit("500400059A", "SBA1234A", b"", "TAN", "ADDR")
        sl.fail_status_next(2)
        assert client.submit("500400060A", "SBA1234A", b"%PDF-1.4", "TAN", "ADDR").attempts == 3
