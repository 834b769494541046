"""LTA, DataHive and MHA clients over real HTTP against their loopback simulators, every fault injected."""
from __future__ import annotations

import datetime as dt

import pytest

from api.clients.datahive import Contact, DataHiveClient
from api.clients.http import ExternalCallError, RetryPolicy
from api.clients.json_api import NotConfigured, RecordNotFound
from api.clients.lta import LtaClient, VehicleOwner, id_type_of
from api.clients.mha import MhaClient
from simulators.datahive import DataHiveSimulator
from simulators.lta import LtaSimulator
from simulators.mha import MhaSimulator
from simulators.people import contact_for, nric_check_letter, nric_for, owner_for

FAST = RetryPolicy(retries=3, backoff=0.01, timeout=0.5)
KEY = "particulars-test-key"


@pytest.fixture(scope="module")
def lta():
    with LtaSimulator(api_key=KEY) as sim:
        yield sim


@pytest.fixture(scope="module")
def datahive():
    with DataHiveSimulator(api_key=KEY) as sim:
        yield sim


@pytest.fixture(scope="module")
def mha():
    with MhaSimulator(api_key=KEY) as sim:
        yield sim


@pytest.fixture(autouse=True)
def _reset(request):
    yield
    for name in ("lta", "datahive", "mha"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def test_lta_owner_is_parsed_from_the_answer(lta):
    lta.set_owner("SBA1234A", {"ownerName": "TAN AH KOW", "ownerIdNo": "S1234567D", "vehicleMake": "TOYOTA",
                               "roadTaxExpiry": "2027-03-31", "diplomaticFlag": False})
    out = LtaClient(lta.url, KEY, FAST).vehicle_owner("SBA1234A")
    assert out.attempts == 1
    assert out.value == VehicleOwner("SBA1234A", "TAN AH KOW", "NRIC", "S1234567D", "S", "TOYOTA",
                                     owner_for("SBA1234A")["vehicleModel"], dt.date(2027, 3, 31), False)
    call = lta.calls[-1]
    assert call["args"] == {"vehicleNo": "SBA1234A"}


def test_lta_reads_ocms10s_owner_nric_field(lta):
    lta.set_owner("SBB1A", {"ownerIdNo": None, "ownerIdType": None, "ownerNRIC": "T0123456G"})
    owner = LtaClient(lta.url, KEY, FAST).vehicle_owner("SBB1A").value
    assert (owner.owner_id_no, owner.owner_id_type) == ("T0123456G", "NRIC")


def test_lta_404_is_record_not_found_at_once(lta):
    lta.not_found("SNO0000X")
    with pytest.raises(RecordNotFound) as e:
        LtaClient(lta.url, KEY, FAST).vehicle_owner("SNO0000X")
    assert e.value.attempts == 1 and e.value.status == 404


@pytest.mark.parametrize("fault", ["500", "timeout", "not_json", "html", "shape", "wrong_type", "empty"])
def test_lta_faults_are_retried_then_succeed(lta, fault):
    inject(lta, fault, 2)
    out = LtaClient(lta.url, KEY, FAST).vehicle_owner("SBA9999Z")
    assert out.attempts == 3 and out.value.owner_id_no == nric_for("SBA9999Z")
    assert len(lta.calls_to("/vehicle/owner")) == 3


def test_lta_failing_past_its_retries_raises_with_every_attempt(lta):
    lta.fail_always(503)
    with pytest.raises(ExternalCallError) as e:
        LtaClient(lta.url, KEY, FAST).vehicle_owner("SBA1A")
    assert not isinstance(e.value, RecordNotFound)
    assert e.value.attempts == 4 and e.value.errors == ["HTTP 503"] * 4


def test_wrong_key_is_final(lta):
    with pytest.raises(ExternalCallError) as e:
        LtaClient(lta.url, "wrong", FAST).vehicle_owner("SBA1A")
    assert e.value.status == 401 and e.value.attempts == 1


def test_unconfigured_client_makes_no_call():
    with pytest.raises(NotConfigured):
        LtaClient(None).vehicle_owner("SBA1A")


def test_key_never_in_repr(lta):
    assert KEY not in repr(LtaClient(lta.url, KEY))


def test_datahive_contact_cases(datahive):
    client = DataHiveClient(datahive.url, KEY, FAST)
    datahive.set_contact("S1234567D", mobile="91234567")
    assert client.contact("S1234567D").value == Contact("91234567", None)
    datahive.set_contact("S1234567D")
    c = client.contact("S1234567D").value
    assert c == Contact(None, None) and not c.found
    generated = client.contact("S7654321D").value
    expected = contact_for("S7654321D")
    assert (generated.mobile_number, generated.email_address) == (expected["mobileNumber"], expected["emailAddress"])


def test_datahive_empty_answer_is_no_contact_not_a_failure(datahive):
    datahive.empty_next(1)
    out = DataHiveClient(datahive.url, KEY, FAST).contact("S1234567D")
    assert out.attempts == 1 and not out.value.found


def test_datahive_malformed_contact_is_a_failed_attempt(datahive):
    datahive.set_contact("S1234567D", mobile="call me maybe")
    with pytest.raises(ExternalCallError) as e:
        DataHiveClient(datahive.url, KEY, FAST).contact("S1234567D")
    assert "telephone" in e.value.last_error and e.value.attempts == 4


def test_mha_particulars_and_address_lines(mha):
    mha.set_particulars("S1234567D", {"name": "TAN AH KOW", "blockHouseNo": "123", "streetName": "KIM KEAT AVENUE",
                                      "unitNumber": "#05-12", "buildingName": None, "postalCode": "310123"})
    p = MhaClient(mha.url, KEY, FAST).particulars("S1234567D").value
    assert p.name == "TAN AH KOW" and p.is_deceased is False
    assert p.address.lines() == ["123 KIM KEAT AVENUE", "#05-12", "SINGAPORE 310123"]


def test_mha_nested_address_of_ocms14_is_read(mha):
    mha.set_particulars("S1234567D", {"address": {"streetName": "BEDOK NORTH ROAD", "postalCode": "460001"},
                                      "isDeceased": True})
    p = MhaClient(mha.url, KEY, FAST).particulars("S1234567D").value
    assert p.address.street_name == "BEDOK NORTH ROAD" and p.is_deceased is True


def test_mha_without_address_is_an_answer(mha):
    mha.no_address("S1234567D")
    p = MhaClient(mha.url, KEY, FAST).particulars("S1234567D").value
    assert p.address is None and p.name


def test_mha_empty_answer_has_no_address(mha):
    mha.empty_next(1)
    assert MhaClient(mha.url, KEY, FAST).particulars("S1234567D").value.address is None


def test_mha_404(mha):
    mha.not_found("S1234567D")
    with pytest.raises(RecordNotFound):
        MhaClient(mha.url, KEY, FAST).particulars("S1234567D")


def test_from_config_reads_url_key_timeout(lta):
    client = LtaClient.from_config({"OCMS_LTA_URL": lta.url, "OCMS_LTA_API_KEY": KEY, "OCMS_LTA_TIMEOUT": 7.0,
                                    "OCMS_HTTP_RETRIES": 1, "OCMS_HTTP_BACKOFF": 0.0})
    assert client.policy == RetryPolicy(1, 0.0, 7.0)
    assert client.vehicle_owner("SBA1A").value.vehicle_no == "SBA1A"


def test_generated_nrics_are_valid_and_typed():
    for key in ("SBA1234A", "VIP0000001A", "X"):
        nric = nric_for(key)
        assert nric[-1] == nric_check_letter(nric[1:8]) and id_type_of(nric) == "NRIC"
    assert nric_check_letter("1234567") == "D"  # S1234567D, the textbook example
    assert id_type_of("F1234567N") == "FIN" and id_type_of("201912345K") is None


def test_http_controls_of_the_simulators(lta):
    import requests
    r = requests.post(lta.url + "/_control", json={"notFound": ["SX1"], "failNext": 1}, timeout=5)
    assert r.json() == {"status": "ok"}
    with pytest.raises(RecordNotFound):
        LtaClient(lta.url, KEY, FAST).vehicle_owner("SX1")   # the 500, then the 404
    assert [c["outcome"] for c in requests.get(lta.url + "/_calls", timeout=5).json()["calls"]] == ["500", "404"]
    assert requests.post(lta.url + "/_control", json={"malformedNext": 1, "malformedKind": "bogus"},
                         timeout=5).status_code == 400


def inject(sim, fault: str, n: int) -> None:
    if fault == "500":
        sim.fail_next(n)
    elif fault == "timeout":
        sim.time_out_next(n, delay=1.5)
    elif fault == "empty":
        sim.empty_next(n)
    else:
        sim.malformed_next(n, fault)
