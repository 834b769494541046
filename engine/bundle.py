"""A rules bundle: the ruleset files of one rules version, held by content.

A bundle is what gets validated, published, shadowed or compared: a mapping of
file name (``an_qualification.yaml``) to its text, with a content hash equal to
:func:`engine.loader.directory_hash` of a directory holding those files. It
comes from a directory (:func:`read_directory`), an upload (:func:`from_files`,
:func:`from_zip`) or the database, and is compiled from a content-addressed
snapshot directory (:func:`write_snapshot`) so the loader reads exactly the
bytes that were hashed.

Only ruleset files count, as in a rules directory: ``*.yaml`` / ``*.yml`` whose
name does not start with ``_`` or ``.`` (other files are ignored).
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Mapping

from .errors import RulesError

#: Limits of an uploaded bundle (a rules directory is a few dozen KB).
MAX_FILES = 200
MAX_FILE_BYTES = 1_000_000
MAX_BUNDLE_BYTES = 5_000_000
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$")


def is_rule_file(name: str) -> bool:
    """True for the files a rules directory serves: ``*.yaml`` / ``*.yml`` not starting with ``_`` or ``.``."""
    return name.endswith((".yaml", ".yml")) and not name.startswith(("_", "."))


def content_hash(text: str) -> str:
    """sha256 of a file's UTF-8 text (the same hash a loaded Ruleset carries)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bundle_hash(files: Mapping[str, str]) -> str:
    """The hash :func:`engine.loader.directory_hash` gives a directory holding ``files``."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(b"\0")
        h.update(files[name].encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


class BundleError(ValueError):
    """An upload that is not a rules bundle (too large, a path with folders, not UTF-8, ...).

    ``errors`` are :class:`RulesError` items, so callers report them like load errors.
    """

    def __init__(self, errors: list[RulesError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.file}: {e.message}" for e in self.errors))


@dataclass(frozen=True)
class Bundle:
    """Ruleset files by name; ``hash`` identifies the content (never the origin)."""

    files: Mapping[str, str]
    source: str = ""
    hash: str = field(default="")

    def __post_init__(self):
        object.__setattr__(self, "files", dict(sorted(self.files.items())))
        object.__setattr__(self, "hash", bundle_hash(self.files))

    def file_hashes(self) -> dict[str, str]:
        return {n: content_hash(t) for n, t in self.files.items()}


def _problem(file: str, code: str, message: str, hint: str = "") -> RulesError:
    return RulesError(file, 1, 1, code, message, hint)


def read_directory(directory: str | Path) -> Bundle:
    """The ruleset files of a rules directory, read once (BundleError if it is not one)."""
    d = Path(directory)
    if not d.is_dir():
        raise BundleError([_problem(str(d), "not_a_directory", f"rules directory {str(d)!r} does not exist",
                                    "set OCMS_RULES_DIR to the folder holding the *.yaml rulesets")])
    files: dict[str, str] = {}
    errors: list[RulesError] = []
    for p in sorted(d.iterdir()):
        if not (is_rule_file(p.name) and p.is_file()):
            continue
        try:
            files[p.name] = p.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            errors.append(_problem(str(p), "unreadable", f"cannot read the file: {e}", "save it as UTF-8 text"))
    if errors:
        raise BundleError(errors)
    return Bundle(files, source=str(d))


def from_files(files: Mapping[str, object], source: str = "upload") -> Bundle:
    """A bundle from ``{file name: text}`` (an uploaded JSON bundle); names are plain file names.

    Files that are not ruleset files (README.md, ...) are ignored; anything
    else that is wrong is a BundleError listing every problem.
    """
    errors: list[RulesError] = []
    if not isinstance(files, Mapping) or not files:
        raise BundleError([_problem("files", "bad_shape", "files must be an object of file name: YAML text",
                                    'e.g. {"files": {"an_qualification.yaml": "ruleset: an_qualification ..."}}')])
    if len(files) > MAX_FILES:
        raise BundleError([_problem("files", "too_large", f"{len(files)} files; a bundle holds at most {MAX_FILES}")])
    kept: dict[str, str] = {}
    total = 0
    for name, text in files.items():
        if not isinstance(name, str) or not FILE_NAME_RE.match(name) or name in (".", ".."):
            errors.append(_problem(str(name), "bad_name", f"file name {name!r} is not a plain file name",
                                   "name files like an_qualification.yaml, without folders"))
            continue
        if not isinstance(text, str):
            errors.append(_problem(name, "bad_shape", "the file's content must be text"))
            continue
        size = len(text.encode("utf-8", "surrogatepass"))
        total += size
        if size > MAX_FILE_BYTES:
            errors.append(_problem(name, "too_large", f"{size} bytes; a rules file may have at most {MAX_FILE_BYTES}"))
            continue
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            errors.append(_problem(name, "unreadable", "the file is not valid UTF-8 text"))
            continue
        if is_rule_file(name):
            kept[name] = text
    if total > MAX_BUNDLE_BYTES:
        errors.append(_problem("files", "too_large", f"{total} bytes in all; a bundle may have at most {MAX_BUNDLE_BYTES}"))
    if not errors and not kept:
        errors.append(_problem("files", "no_rulesets", "the bundle holds no *.yaml ruleset"))
    if errors:
        raise BundleError(errors)
    return Bundle(kept, source=source)


def from_zip(data: bytes, source: str = "upload.zip") -> Bundle:
    """A bundle from a zip archive of ruleset files (at the top or in one folder).

    Sizes are checked from the archive's directory before anything is
    decompressed, and again while reading (no zip bomb gets through); entries
    with ``..``, absolute paths or more than one folder level are refused.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, NotImplementedError, OSError) as e:
        raise BundleError([_problem(source, "bad_archive", f"not a zip archive: {e}", "upload a .zip of the *.yaml files")])
    if len(infos) > MAX_FILES:
        raise BundleError([_problem(source, "too_large", f"{len(infos)} entries; a bundle holds at most {MAX_FILES}")])
    if sum(i.file_size for i in infos) > MAX_BUNDLE_BYTES:
        raise BundleError([_problem(source, "too_large", f"the archive unpacks to more than {MAX_BUNDLE_BYTES} bytes")])
    errors: list[RulesError] = []
    files: dict[str, str] = {}
    folders = set()
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or len(p.parts) > 2 or (info.external_attr >> 16) & 0o170000 == 0o120000:
            errors.append(_problem(info.filename, "bad_name", f"archive entry {info.filename!r} is not a plain file",
                                   "zip the *.yaml files themselves, or one folder holding them"))
            continue
        if len(p.parts) == 2:
            folders.add(p.parts[0])
        if p.parts[0] == "__MACOSX" or not is_rule_file(p.name):
            continue
        try:
            with archive.open(info) as f:
                raw = f.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as e:
            errors.append(_problem(info.filename, "bad_archive", f"cannot read the entry: {e}"))
            continue
        if len(raw) > MAX_FILE_BYTES:
            errors.append(_problem(info.filename, "too_large", f"more than {MAX_FILE_BYTES} bytes"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(_problem(info.filename, "unreadable", "the file is not valid UTF-8 text"))
            continue
        if p.name in files:
            errors.append(_problem(info.filename, "duplicate_file", f"{p.name} appears twice in the archive"))
            continue
        files[p.name] = text
    if len(folders - {"__MACOSX"}) > 1:
        errors.append(_problem(source, "bad_shape", f"the archive holds several folders ({', '.join(sorted(folders))})",
                               "zip one rules folder"))
    if errors:
        raise BundleError(errors)
    return from_files(files, source=source)


# ---- snapshots: a bundle written to disk, named by its hash ------------------------
_snapshot_lock = threading.Lock()


def write_snapshot(bundle: Bundle, root: str | Path) -> Path:
    """Write the bundle to ``root/<hash>/`` (once) and return that directory.

    The directory is written under a temporary name and renamed, and an
    existing one is used only if it still holds exactly the bundle's files, so
    what the loader reads is what the hash names.
    """
    from .loader import directory_hash
    root = Path(root)
    target = root / bundle.hash
    with _snapshot_lock:
        if target.is_dir() and directory_hash(target) == bundle.hash and \
                {p.name for p in target.iterdir()} == set(bundle.files):
            return target
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{bundle.hash[:12]}-", dir=root))
        for name, text in bundle.files.items():
            (tmp / name).write_bytes(text.encode("utf-8"))
        if target.exists():
            _remove_tree(target)
        os.replace(tmp, target)
        return target


def _remove_tree(path: Path) -> None:
    for p in path.iterdir():
        p.unlink()
    path.rmdir()


def relocate_errors(errors: list[RulesError], snapshot: str | Path, shown_as: str) -> list[RulesError]:
    """Errors found in a snapshot, re-pointed at where the analyst's files are (``shown_as/<file>``)."""
    snap = str(Path(snapshot).resolve())
    snap_rel = str(snapshot)
    out = []
    for e in errors:
        f = e.file
        for prefix in (snap, snap_rel):
            if f == prefix or f.startswith(prefix + os.sep):
                rest = f[len(prefix):].lstrip(os.sep)
                f = f"{shown_as.rstrip('/')}/{rest}" if rest else shown_as
                break
        else:
            name = Path(f).name
            if Path(f).parent.name == Path(snapshot).name:
                f = f"{shown_as.rstrip('/')}/{name}"
        out.append(RulesError(f, e.line, e.column, e.code, e.message, e.hint, e.ruleset, e.rule))
    return out
