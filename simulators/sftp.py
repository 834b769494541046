"""The print vendor's SFTP server, simulated on loopback (asyncssh): letters land in a local directory.

    with SftpSimulator(root="/tmp/vendor", username="ocms", password="secret") as sftp:   # 127.0.0.1:<free port>
        sftp.known_hosts_line          # "[127.0.0.1]:40123 ssh-ed25519 AAAA..." for OCMS_SFTP_KNOWN_HOSTS
        sftp.fail_next_uploads(2)      # the next 2 files opened for writing are refused (SSH_FX_FAILURE)
        sftp.fail_always()             # every upload refused until reset()
        sftp.files()                   # ["20260115/VIPAN_500400058A_20260115.pdf", ...] (relative to root)

A real SSH server (password authentication; an ed25519 host key kept in ``host_key_path`` if given, so
a demo's known_hosts line stays valid across restarts), chrooted to ``root``. Counts uploads per file
name (``uploads``), so a test can prove nothing was delivered twice.
"""
from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from pathlib import Path

import asyncssh

from .runner import LOOPBACK

DEFAULT_PORT = 8722


class SftpSimulator:
    NAME = "SFTP"

    def __init__(self, root: str | os.PathLike, username: str = "ocms", password: str = "ocms-sftp",
                 host: str = LOOPBACK, port: int = 0, host_key_path: str | os.PathLike | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.username, self.password, self.host = username, password, host
        self._port = port
        self._lock = threading.Lock()
        self._host_key = self._load_key(host_key_path)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor = None
        self.reset()

    @staticmethod
    def _load_key(path):
        if path is not None and Path(path).is_file():
            return asyncssh.read_private_key(str(path))
        key = asyncssh.generate_private_key("ssh-ed25519")
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            key.write_private_key(str(path))
        return key

    # -- behaviour ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._fail_next, self._fail_always = 0, False
            self.uploads: Counter = Counter()

    def fail_next_uploads(self, n: int) -> None:
        with self._lock:
            self._fail_next = int(n)

    def fail_always(self) -> None:
        with self._lock:
            self._fail_always = True

    def files(self) -> list[str]:
        """Every file under the root, relative, sorted (partial uploads ``*.part`` included)."""
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

    def _refuse_upload(self) -> bool:
        with self._lock:
            if self._fail_always or self._fail_next > 0:
                self._fail_next = max(self._fail_next - 1, 0)
                return True
            return False

    def _uploaded(self, name: str) -> None:
        with self._lock:
            self.uploads[name] += 1

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"sftp://{self.host}:{self.port}"

    @property
    def known_hosts_line(self) -> str:
        """The known_hosts entry of this server (what OCMS_SFTP_KNOWN_HOSTS must contain)."""
        return f"[{self.host}]:{self.port} {self._host_key.export_public_key('openssh').decode().strip()}"

    def write_known_hosts(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.known_hosts_line + "\n")
        return path

    def start(self) -> "SftpSimulator":
        sim = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                return username == sim.username and password == sim.password

        class Sftp(asyncssh.SFTPServer):
            def __init__(self, chan):
                super().__init__(chan, chroot=str(sim.root).encode())

            def open(self, path, pflags, attrs):
                if pflags & asyncssh.FXF_WRITE and sim._refuse_upload():
                    raise asyncssh.SFTPFailure("upload refused (simulated fault)")
                return super().open(path, pflags, attrs)

            def posix_rename(self, oldpath, newpath):
                result = super().posix_rename(oldpath, newpath)
                sim._uploaded(os.path.basename(newpath.decode() if isinstance(newpath, bytes) else newpath))
                return result

        ready = threading.Event()
        errors: list[BaseException] = []

        def serve():
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._acceptor = loop.run_until_complete(asyncssh.create_server(
                    Server, self.host, self._port, server_host_keys=[self._host_key], sftp_factory=Sftp,
                    allow_scp=False))
                self._port = self._acceptor.sockets[0].getsockname()[1]
            except BaseException as e:  # e.g. the port is taken
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            self._acceptor.close()
            loop.run_until_complete(self._acceptor.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=serve, name="sim-sftp", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SftpSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["DEFAULT_PORT", "SftpSimulator"]
