"""The print vendor's SFTP stand-in (a real SSH server on loopback) and the service's SFTP client against it."""
from __future__ import annotations

import pytest

from api.clients.sftp import SftpClient, SftpError, SftpNotConfigured
from simulators.sftp import SftpSimulator


@pytest.fixture
def vendor(tmp_path):
    with SftpSimulator(tmp_path / "root", password="pw", host_key_path=tmp_path / "key") as sim:
        sim.known = sim.write_known_hosts(tmp_path / "known_hosts")
        yield sim


def client(vendor, **kw) -> SftpClient:
    args = dict(host="127.0.0.1", port=vendor.port, username="ocms", password="pw", known_hosts=str(vendor.known),
                directory="/out", retries=1, backoff=0)
    args.update(kw)
    return SftpClient(**args)


def test_put_lands_complete_and_listdir_sees_it(vendor):
    with client(vendor) as c:
        assert c.listdir("d1") == set()
        assert c.put("d1", "a.pdf", b"%PDF-1.4 letter") == "/out/d1/a.pdf"
        assert c.listdir("d1") == {"a.pdf"}
    assert vendor.files() == ["out/d1/a.pdf"] and vendor.uploads == {"a.pdf": 1}
    assert (vendor.root / "out" / "d1" / "a.pdf").read_bytes() == b"%PDF-1.4 letter"


def test_a_refused_upload_leaves_no_final_file(vendor):
    vendor.fail_next_uploads(1)
    with client(vendor) as c:
        with pytest.raises(SftpError, match="not delivered"):
            c.put("d1", "a.pdf", b"x")
        assert c.listdir("d1") == set()
        c.put("d1", "a.pdf", b"x")
    assert vendor.files() == ["out/d1/a.pdf"]


def test_wrong_password_and_unknown_host_key_are_refused(vendor, tmp_path):
    with pytest.raises(SftpError, match="refused"):
        client(vendor, password="wrong").connect()
    other = tmp_path / "other_known_hosts"
    other.write_text(f"[127.0.0.1]:{vendor.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
    with pytest.raises(SftpError):
        client(vendor, known_hosts=str(other)).connect()
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(SftpError, match="KNOWN_HOSTS"):
        client(vendor, known_hosts=str(empty)).connect()


def test_not_configured_and_unreachable(vendor):
    with pytest.raises(SftpNotConfigured, match="OCMS_SFTP_HOST"):
        SftpClient(None).connect()
    with pytest.raises(SftpNotConfigured, match="KNOWN_HOSTS"):
        client(vendor, known_hosts=None).connect()
    from simulators.runner import free_port
    with pytest.raises(SftpError, match="unreachable after 2 attempt"):
        client(vendor, port=free_port()).connect()


def test_the_host_key_survives_a_restart(vendor, tmp_path):
    line = vendor.known_hosts_line.split(" ", 1)[1]
    with SftpSimulator(tmp_path / "root2", password="pw", host_key_path=tmp_path / "key") as again:
        assert again.known_hosts_line.split(" ", 1)[1] == line
