"""``ocms serve`` at the edge, over real HTTP on loopback: slow clients, gunicorn's own errors, big bodies, locks.

The server runs on the test database (SQLite file or PostgreSQL) with short
timeouts, so a locked table answers 503 OCMS-5003 and the workers live on.
"""
from __future__ import annotations

import json
import socket
import subprocess
import threading

import pytest
import requests
from sqlalchemy import text

from tests.serve_helpers import ocms_serve, wait_for

CAS_KEY = "edge-cas-key"


@pytest.fixture
def edge_server(tmp_path, rules_dir, clean_db, database_url):
    """``ocms serve``: one worker of four threads, a 1 s lock timeout, 2 s header and body timeouts, a 64 kB body limit."""
    env = {"OCMS_DATABASE_URL": database_url, "OCMS_RULES_DIR": str(rules_dir),
           "OCMS_API_KEYS": f"cas:{CAS_KEY}", "OCMS_LOCK_TIMEOUT": "1", "OCMS_STATEMENT_TIMEOUT": "5",
           "OCMS_MAX_CONTENT_LENGTH": "65536", "OCMS_RULES_CHECK_INTERVAL": "60"}
    with ocms_serve(tmp_path / "serve.log", env, "--workers", "1", "--threads", "4", "--body-timeout", "2",
                    "--header-timeout", "2", "--timeout", "30") as served:
        wait_for(lambda: served.answers("/health/live"), what="/health/live")
        yield served.base, served.port, served.proc, served.log_path


def _raw(port: int, data: bytes, read: bool = True, timeout: float = 15) -> tuple[int, dict, bytes]:
    """Send raw bytes, return (status, headers, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                length = [int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
                if length and len(body) >= length[0]:
                    break
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _envelope(body: bytes) -> dict:
    return json.loads(body)["data"]


def _worker_pids(proc) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def test_two_slow_clients_do_not_stall_live(edge_server):
    base, port, proc, _ = edge_server
    slow = []
    for _ in range(2):  # each sends its headers and half its body, then nothing
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"POST /v1/ocms/cas-getPaymentStatus HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Ocp-Apim-Subscription-Key: " + CAS_KEY.encode() + b"\r\nContent-Length: 40\r\n\r\n{\"noticeNumb")
        slow.append(s)
    try:
        for _ in range(5):
            assert requests.get(base + "/health/live", timeout=5).json() == {"status": "UP"}
        # The stalled bodies are given up (408, the envelope), not held forever.
        for s in slow:
            s.settimeout(15)
            status_line = s.recv(65536).split(b"\r\n")[0]
            assert b" 408 " in status_line
    finally:
        for s in slow:
            s.close()


def test_slow_headers_and_idle_connections_do_not_stall_live(edge_server):
    """Eight clients that stop mid-header and twenty silent ones take no thread; the stalled ones get 408 + close."""
    base, port, _, _ = edge_server
    slow = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(8)]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-A")
        # Live answers on fresh connections while all of them hang (the client timeout is below the header timeout,
        # so an answer only after a stalled client is given up fails here).
        for _ in range(5):
            assert requests.get(base + "/health/live", timeout=1.5).json() == {"status": "UP"}
        with requests.Session() as kept:  # a kept-alive connection too
            for _ in range(3):
                assert kept.get(base + "/health/live", timeout=1.5).status_code == 200
        for s in slow:
            status, headers, body = _read_answer(s)
            assert status == 408 and headers["connection"].lower() == "close", (status, headers)
            assert json.loads(body)["data"]["appCode"] == "OCMS-4008"
            assert s.recv(1) == b""  # and the connection is closed
        for s in idle:  # silent connections are closed after the keep-alive time, unanswered
            assert s.recv(1) == b""
    finally:
        for s in slow + idle:
            s.close()


def test_header_dribbled_byte_by_byte_is_given_up_in_all(edge_server):
    """The header timeout bounds the whole head, not each read: one byte every 0.5 s still ends in 408."""
    _, port, _, _ = edge_server
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        answer = b""
        for ch in b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 40:
            try:
                s.sendall(bytes([ch]))
            except (BrokenPipeError, ConnectionResetError):
                break
            s.settimeout(0.5)
            try:
                answer += s.recv(65536)
                break
            except socket.timeout:
                continue
        s.settimeout(15)
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.split(b"\r\n")[0] == b"HTTP/1.1 408 Request Timeout"
    assert b"Connection: close" in answer


def test_body_timeout_answer_says_connection_close(edge_server):
    _, port, _, _ = edge_server
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(b"POST /v1/ocms/cas-getPaymentStatus HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Ocp-Apim-Subscription-Key: " + CAS_KEY.encode() + b"\r\nContent-Length: 40\r\n\r\n{\"noticeNumb")
        status, headers, _ = _read_answer(s)
        assert status == 408 and headers["connection"].lower() == "close"
        assert s.recv(1) == b""


def _read_answer(s: socket.socket) -> tuple[int, dict, bytes]:
    """Read one answer (status, lower-cased headers, body) from an open socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"closed without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += s.recv(65536)
    return int(lines[0].split()[1]), headers, body


GUNICORN_ERRORS = [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET /health/live HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n", 431),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n", 400),
]  # a bad request line, a header too long, too many headers, a URI too long, a bad HTTP version


def test_gunicorns_own_errors_are_the_envelope(edge_server):
    _, port, _, _ = edge_server
    for request_bytes, status in GUNICORN_ERRORS:
        got, headers, body = _raw(port, request_bytes)
        assert got == status and headers["content-type"] == "application/json", request_bytes[:40]
        assert _envelope(body)["appCode"] == f"OCMS-{status // 100}{status % 100:03d}"
        assert b"<html" not in body


def test_big_body_without_credentials_is_401_before_it_is_read(edge_server):
    _, port, _, _ = edge_server
    head = (b"POST /v1/ocms/cas-getPaymentStatus HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n")
    status, _, body = _raw(port, head + b"{" * 1000)  # 1 kB of a declared 100 MB: the answer comes anyway
    assert status == 401 and _envelope(body)["appCode"] == "OCMS-4001"


def test_body_over_the_limit_is_413_declared_or_chunked(edge_server):
    base, port, _, _ = edge_server
    head = (b"POST /v1/ocms/cas-getPaymentStatus HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Ocp-Apim-Subscription-Key: " + CAS_KEY.encode() + b"\r\n")
    status, _, body = _raw(port, head + b"Content-Length: 104857600\r\n\r\n{")
    assert status == 413 and _envelope(body)["appCode"] == "OCMS-4013"
    chunk = b'{"noticeNumbers": [' + b'"500400058A", ' * 6000
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n"
    status, _, body = _raw(port, chunked)
    assert status == 413 and _envelope(body)["appCode"] == "OCMS-4013", body
    # A normal request still passes on the same server.
    r = requests.post(base + "/v1/ocms/cas-getPaymentStatus", json={"noticeNumbers": ["500400058A"]},
                      headers={"Ocp-Apim-Subscription-Key": CAS_KEY}, timeout=10)
    assert r.status_code == 200 and r.json() == {"notices": []}


def test_locked_table_answers_503_and_the_workers_live_on(edge_server, clean_db):
    base, _, proc, log_path = edge_server
    workers = _worker_pids(proc)
    body = {"notices": [{"noticeNo": "500400058A", "suspensionType": "TS", "lastProcessingStage": "CSD",
                         "prevProcessingStage": "CPC", "nextProcessingStage": "CSR", "lastProcessingDate": "2024-01-15",
                         "prevProcessingDate": "2024-01-10", "nextProcessingDate": "2024-01-20", "atomsFlag": "Y",
                         "amountPayable": 300.00, "paymentAcceptanceAllowed": "Y", "eprReasonOfSuspension": "APP",
                         "eprDateOfSuspension": "2024-01-15"}]}
    import datetime as dt
    from decimal import Decimal

    from repository.models import ValidOffenceNotice
    with clean_db.begin() as c:  # a court notice, so the request must write
        c.execute(ValidOffenceNotice.__table__.insert().values(
            notice_no="500400058A", vehicle_no="SBA1234A", notice_date_and_time=dt.datetime(2024, 1, 2, 8, 30),
            offence_notice_type="O", computer_rule_code=10100, composition_amount=Decimal("70.00"),
            last_processing_stage="CRT", cre_date=dt.datetime(2024, 1, 2), cre_user_id="test"))
    conn = clean_db.connect()
    holding = conn.begin()
    if clean_db.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE ocms_valid_offence_notice IN ACCESS EXCLUSIVE MODE"))
    else:  # SQLite: hold the write lock
        conn.execute(text("UPDATE ocms_parameter SET value = value WHERE 1 = 0"))
        conn.execute(text("INSERT INTO ocms_rules_state (name, dir_hash, generation, updated_at) "
                          "VALUES ('lock-test', 'x', 1, CURRENT_TIMESTAMP)"))
    try:
        answers = []

        def call():
            r = requests.post(base + "/v1/ocms/cas-updateCourtNotices", json=body,
                              headers={"Ocp-Apim-Subscription-Key": CAS_KEY}, timeout=25)
            answers.append((r.status_code, r.json(), r.headers.get("Retry-After")))
        threads = [threading.Thread(target=call) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(answers) == 3
        for status, data, retry_after in answers:
            assert status == 503 and data["data"]["appCode"] == "OCMS-5003" and retry_after
        assert requests.get(base + "/health/live", timeout=5).status_code == 200
    finally:
        holding.rollback()
        conn.close()
    with clean_db.connect() as c:  # nothing was written while locked
        assert c.execute(text("SELECT last_processing_stage FROM ocms_valid_offence_notice")).scalar() == "CRT"
    # Lock gone: the same request is applied, by the same worker process.
    r = requests.post(base + "/v1/ocms/cas-updateCourtNotices", json=body,
                      headers={"Ocp-Apim-Subscription-Key": CAS_KEY}, timeout=10)
    assert r.status_code == 200 and r.json()["notices"][0]["status"] == "OK"
    assert _worker_pids(proc) == workers
    assert "WORKER TIMEOUT" not in log_path.read_text()
