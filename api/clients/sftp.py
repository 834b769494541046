"""Client of the print vendor's SFTP server (paramiko): letters are dropped into its directory (OCMS 14 tab 3).

    with SftpClient.from_config(config) as sftp:
        names = sftp.listdir("20260115")                       # what is already there (set of file names)
        sftp.put("20260115", "VIPAN_500400058A_20260115.pdf", pdf_bytes)

Settings: ``OCMS_SFTP_HOST``, ``OCMS_SFTP_PORT`` (22), ``OCMS_SFTP_USER``, ``OCMS_SFTP_PASSWORD`` or
``OCMS_SFTP_KEY_FILE`` (a private key), ``OCMS_SFTP_KNOWN_HOSTS`` (the server's host key must be in
this known_hosts file: an unknown or changed key is refused), ``OCMS_SFTP_DIR`` (the vendor's
directory, default ``/``), ``OCMS_SFTP_TIMEOUT`` (30 s). Connecting is retried ``OCMS_HTTP_RETRIES``
times with backoff ``OCMS_HTTP_BACKOFF``.

:meth:`SftpClient.put` writes ``<name>.part`` and renames it to ``<name>`` (POSIX rename), then checks
the size: a file with its final name is always complete, so a run killed mid-upload leaves no file
the vendor could print half of. Failures are :class:`SftpError` (the password never appears in it).
"""
from __future__ import annotations

import logging
import posixpath
import socket
import time
from typing import Any, Callable, Mapping

import paramiko

log = logging.getLogger(__name__)

SYSTEM = "SFTP"


class SftpError(RuntimeError):
    """The SFTP server could not be reached, refused us, or refused a file."""


class SftpNotConfigured(SftpError):
    """OCMS_SFTP_HOST (or the known host key) is not set: nothing can be delivered."""


class SftpClient:
    """One SFTP session with the print vendor's server."""

    def __init__(self, host: str | None, port: int = 22, username: str | None = None, password: str | None = None,
                 key_file: str | None = None, known_hosts: str | None = None, directory: str = "/",
                 timeout: float = 30.0, retries: int = 3, backoff: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.host, self.port, self.username = host, int(port or 22), username
        self._password, self._key_file = password, key_file
        self.known_hosts, self.directory = known_hosts, directory or "/"
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._sleep = sleep
        self._ssh: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **kwargs) -> "SftpClient":
        return cls(config.get("OCMS_SFTP_HOST"), config.get("OCMS_SFTP_PORT") or 22, config.get("OCMS_SFTP_USER"),
                   config.get("OCMS_SFTP_PASSWORD"), config.get("OCMS_SFTP_KEY_FILE"),
                   config.get("OCMS_SFTP_KNOWN_HOSTS"), config.get("OCMS_SFTP_DIR") or "/",
                   float(config.get("OCMS_SFTP_TIMEOUT") or 30), int(config.get("OCMS_HTTP_RETRIES", 3)),
                   float(config.get("OCMS_HTTP_BACKOFF", 2.0)), **kwargs)

    def __repr__(self) -> str:  # never the password
        return f"SftpClient({self.username}@{self.host}:{self.port}{self.directory})"

    # -- connection --------------------------------------------------------------------------
    def connect(self) -> "SftpClient":
        if not self.host:
            raise SftpNotConfigured("OCMS_SFTP_HOST is not set: letters cannot be delivered")
        if not self.known_hosts:
            raise SftpNotConfigured("OCMS_SFTP_KNOWN_HOSTS is not set: the server's host key cannot be checked")
        errors: list[str] = []
        for attempt in range(1, self.retries + 2):
            ssh = paramiko.SSHClient()
            try:
                ssh.load_host_keys(self.known_hosts)
            except OSError as e:
                raise SftpNotConfigured(f"OCMS_SFTP_KNOWN_HOSTS cannot be read: {e.strerror}") from None
            ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
            try:
                ssh.connect(self.host, self.port, username=self.username, password=self._password,
                            key_filename=self._key_file, timeout=self.timeout, banner_timeout=self.timeout,
                            auth_timeout=self.timeout, allow_agent=False, look_for_keys=False)
                self._ssh, self._sftp = ssh, ssh.open_sftp()
                self._sftp.get_channel().settimeout(self.timeout)
                return self
            except (paramiko.BadHostKeyException, paramiko.AuthenticationException) as e:
                ssh.close()
                raise SftpError(f"{SYSTEM} {self.host}:{self.port} refused: {type(e).__name__}") from None
            except paramiko.SSHException as e:
                ssh.close()
                if "not found in known_hosts" in str(e):
                    raise SftpError(f"{SYSTEM} {self.host}:{self.port}: host key not in OCMS_SFTP_KNOWN_HOSTS") from None
                errors.append(f"{type(e).__name__}: {e}")
            except (OSError, socket.timeout, EOFError) as e:
                ssh.close()
                errors.append(f"{type(e).__name__}: {e}")
            if attempt <= self.retries:
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning("%s %s:%s: attempt %d failed (%s); retrying in %.1fs", SYSTEM, self.host, self.port,
                            attempt, errors[-1], delay)
                self._sleep(delay)
        raise SftpError(f"{SYSTEM} {self.host}:{self.port} unreachable after {len(errors)} attempt(s): {errors[-1]}")

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        if self._ssh is not None:
            self._ssh.close()
        self._sftp = self._ssh = None

    def __enter__(self) -> "SftpClient":
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files -------------------------------------------------------------------------------
    def path(self, subdir: str, name: str = "") -> str:
        return posixpath.join(self.directory, subdir, name) if name else posixpath.join(self.directory, subdir)

    def _mkdirs(self, remote_dir: str) -> None:
        parts, current = [p for p in remote_dir.split("/") if p], "/" if remote_dir.startswith("/") else ""
        for p in parts:
            current = posixpath.join(current, p) if current else p
            try:
                self._sftp.stat(current)
            except FileNotFoundError:
                self._sftp.mkdir(current)

    def listdir(self, subdir: str) -> set[str]:
        """File names in ``subdir`` of the vendor's directory (empty if it does not exist yet)."""
        try:
            return set(self._sftp.listdir(self.path(subdir)))
        except FileNotFoundError:
            return set()
        except (OSError, paramiko.SSHException) as e:
            raise SftpError(f"{SYSTEM}: cannot list {self.path(subdir)}: {e}") from None

    def put(self, subdir: str, name: str, data: bytes) -> str:
        """Deliver ``data`` as ``subdir/name`` (written as .part, then renamed); return the remote path."""
        target = self.path(subdir, name)
        partial = target + ".part"
        try:
            self._mkdirs(self.path(subdir))
            with self._sftp.open(partial, "wb") as f:
                f.write(data)
            self._sftp.posix_rename(partial, target)
            size = self._sftp.stat(target).st_size
        except (OSError, paramiko.SSHException, EOFError) as e:
            raise SftpError(f"{SYSTEM}: {target} not delivered: {e}") from None
        if size != len(data):
            raise SftpError(f"{SYSTEM}: {target} has {size} bytes on the server, {len(data)} were sent")
        return target


__all__ = ["SftpClient", "SftpError", "SftpNotConfigured", "SYSTEM"]
