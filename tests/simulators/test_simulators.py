"""The local simulators: CAS over HTTP (key check, controls, call count) and the SMTP server."""
from __future__ import annotations

import io
import smtplib
import threading
import time
from email.message import EmailMessage

import pytest
import requests

from api.clients.cas import CasClient
from api.clients.http import ExternalCallError, RetryPolicy
from api.clients.mail import MailSettings, send_alert
from simulators.cas import PATH, CasSimulator, generate_vehicles
from simulators.runner import run_simulators
from simulators.smtp import SmtpSimulator

KEY = "sim-key"


@pytest.fixture
def cas():
    with CasSimulator(apim_key=KEY, vehicles=5) as sim:
        yield sim


def post(cas, key=KEY, timeout=5.0):
    return requests.post(cas.url + PATH, json={}, headers={"Ocp-Apim-Subscription-Key": key}, timeout=timeout)


def test_cas_serves_the_list_to_the_right_key_only(cas):
    ok = post(cas)
    assert ok.status_code == 200
    assert ok.json() == {"data": generate_vehicles(5), "totalCount": 5}
    assert post(cas, key="wrong").status_code == 401
    assert cas.call_count == 2 and [c["outcome"] for c in cas.calls] == ["ok", "401"]


def test_cas_control_endpoint(cas):
    control = lambda body: requests.post(cas.url + "/_control", json=body, timeout=5)  # noqa: E731
    assert control({"vehicles": [{"vehicleNo": "SBA1A", "description": None, "status": "ACTIVE"}],
                    "failNext": 1, "failStatus": 503}).json() == {"status": "ok"}
    assert post(cas).status_code == 503
    assert post(cas).json() == {"data": [{"vehicleNo": "SBA1A", "description": None, "status": "ACTIVE"}],
                                "totalCount": 1}
    control({"malformedNext": 1, "malformedKind": "duplicate"})
    body = post(cas).json()
    assert body["totalCount"] == 2 and body["data"][0] == body["data"][1]
    assert control({"malformedNext": 1, "malformedKind": "nonsense"}).status_code == 400
    calls = requests.get(cas.url + "/_calls", timeout=5).json()
    assert calls["callCount"] == 3 and calls["vehicles"] == 1
    control({"reset": True, "vehicles": 100})
    assert requests.get(cas.url + "/_calls", timeout=5).json() == {"callCount": 0, "calls": [], "vehicles": 100}


def test_cas_timeout_outlasts_the_client(cas):
    cas.time_out_next(1, delay=2)
    with pytest.raises(requests.Timeout):
        post(cas, timeout=0.3)
    assert post(cas, timeout=1).status_code == 200   # only the next call was held


def test_client_gives_up_after_the_retries_and_waits_exponentially(cas):
    waits = []
    client = CasClient(cas.url, KEY, RetryPolicy(retries=3, backoff=0.5, timeout=1), sleep=waits.append)
    cas.fail_always()
    with pytest.raises(ExternalCallError) as e:
        client.refresh_vip_vehicles()
    assert e.value.attempts == 4 and waits == [0.5, 1.0, 2.0]
    assert "sim-key" not in repr(client)


def test_client_honours_retry_after_on_429(cas):
    waits = []
    client = CasClient(cas.url, KEY, RetryPolicy(retries=1, backoff=0.01, timeout=1), sleep=waits.append)
    cas.fail_next(1, status=429)
    assert len(client.refresh_vip_vehicles()) == 5
    assert waits == [0.01]   # the simulator sends no Retry-After: our own backoff


def test_smtp_simulator_stores_messages():
    with SmtpSimulator() as smtp:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com, c@example.com", "Hello"
        msg.set_content("line 1\nline 2\n")
        with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as s:
            s.send_message(msg)
        [got] = smtp.wait_for(1)
        assert got.sender == "a@example.com" and got.recipients == ("b@example.com", "c@example.com")
        assert got.subject == "Hello" and got.body == "line 1\nline 2\n"
        smtp.clear()
        assert smtp.messages == []


def test_send_alert_without_recipients_only_logs(caplog):
    assert send_alert(MailSettings(recipients=()), "subject", "body") is False
    assert "OCMS_ALERT_TO is not set" in caplog.text


def test_run_simulators_prints_where_they_are(tmp_path):
    out, stop = io.StringIO(), threading.Event()
    t = threading.Thread(target=run_simulators, kwargs=dict(which="all", port=0, smtp_port=0, receiver_port=0,
                                                            vehicles=3, out=out, until=stop, sftp_root=str(tmp_path)))
    t.start()
    try:
        deadline = time.monotonic() + 5
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        text = out.getvalue()
        cas_url = text.split("export OCMS_CAS_URL=")[1].split()[0]
        assert requests.post(cas_url + PATH, json={}, timeout=5).json()["totalCount"] == 3
        port = int(text.split("OCMS_SMTP_PORT=")[1].split()[0])
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
            s.sendmail("a@example.com", ["ops@example.com"], "Subject: hi\r\n\r\nbody\r\n")
        for system in ("REPCCS", "CES"):
            url = text.split(f"export OCMS_{system}_URL=")[1].split()[0]
            answer = requests.post(url + "/unqualified-an-list", json={"unqualifiedNotices": [{"noticeNo": "1"}]}, timeout=5)
            assert answer.json()["status"] == "success"
        for setting, path in (("OCMS_LTA_URL", "/vehicle/owner?vehicleNo=SBA1A"), ("OCMS_DATAHIVE_URL", "/contact?nric=S1234567D"),
                              ("OCMS_MHA_URL", "/address?nric=S1234567D")):
            url = text.split(f"export {setting}=")[1].split()[0]
            assert requests.get(url + path, timeout=5).status_code == 200
        from api.clients.sftp import SftpClient
        env = dict(kv.split("=", 1) for kv in text.split("export OCMS_SFTP_HOST=")[1].splitlines()[0].split()[1:])
        port = int(env["OCMS_SFTP_PORT"])
        with SftpClient("127.0.0.1", port, env["OCMS_SFTP_USER"], env["OCMS_SFTP_PASSWORD"],
                        known_hosts=env["OCMS_SFTP_KNOWN_HOSTS"], directory=env["OCMS_SFTP_DIR"]) as sftp:
            sftp.put("20260115", "hello.pdf", b"%PDF-hello")
        assert (tmp_path / "vendor" / "print" / "20260115" / "hello.pdf").read_bytes() == b"%PDF-hello"
    finally:
        stop.set()
        t.join(5)
    assert "Subject: hi" in out.getvalue()


def test_ocms_simulators_command_serves_until_interrupted():
    """The console script (``ocms-simulators run``, here as ``python -m simulators``) starts the receivers."""
    import signal
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "simulators", "run", "receivers", "--receiver-port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        url = text.split("export OCMS_REPCCS_URL=")[1].split()[0]
        answer = requests.post(url + "/unqualified-an-list", json={"unqualifiedNotices": [{"noticeNo": "1"}]}, timeout=5)
        assert answer.json()["status"] == "success"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:  # never leave the server running behind a failed test
            proc.kill()
            proc.wait()
            raise
        assert code == 0


def test_ocms_simulators_is_a_console_script_of_the_package():
    from importlib.metadata import entry_points
    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("ocms-simulators") == "simulators.cli:main"
    assert scripts.get("ocms") == "api.cli:main"
