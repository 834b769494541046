"""A candidate rules bundle from an HTTP request: an upload, or a directory under a configured root.

Accepted bodies (``POST /v1/admin/rules/impact``, ``POST /v1/admin/rules/shadow``):

* ``application/json``: ``{"files": {"an_qualification.yaml": "<YAML text>", ...}}`` or
  ``{"directory": "<path>"}`` — a server-side directory, allowed only under
  ``OCMS_RULES_CANDIDATES_DIR`` (relative paths are taken from there; ``..`` and
  symbolic links leading outside are refused, so no other file can be read);
* ``application/zip`` (or ``application/octet-stream``): a zip of the ``*.yaml`` files;
* ``multipart/form-data``: a ``bundle`` part holding a zip, or one ``files`` part per YAML file.

Sizes are bounded (``engine.bundle``: at most 200 files, 1 MB each, 5 MB in all)
and the request body by :data:`MAX_UPLOAD_BYTES`; anything wrong is OCMS-4000
naming the field. The bundle is then validated like a reload (422 with every
error) and never goes into service.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request

from api.web.errors import ApiError, bad_request
from engine.bundle import MAX_BUNDLE_BYTES, Bundle, BundleError, from_files, from_zip, is_rule_file

MAX_UPLOAD_BYTES = 6_000_000


def _bundle_error(e: BundleError, field: str) -> ApiError:
    return bad_request("Not a rules bundle", [{"field": field, "message": f"{x.file}: {x.message}"} for x in e.errors])


def directory_bundle(directory: Any, root: str | None) -> Bundle:
    """The ruleset files of ``directory``, which must lie under ``root`` (symbolic links resolved)."""
    if not root:
        raise bad_request("Candidate directories are not enabled", [{
            "field": "directory",
            "message": "the service reads candidate directories only under OCMS_RULES_CANDIDATES_DIR, which is not set; "
                       "upload the files instead"}])
    if not isinstance(directory, str) or not directory.strip() or "\0" in directory:
        raise bad_request(errors=[{"field": "directory", "message": "a directory path is expected"}])
    base = Path(root).resolve()
    p = Path(directory)
    target = (p if p.is_absolute() else base / p).resolve()
    if target != base and base not in target.parents:
        raise bad_request("Directory not allowed", [{"field": "directory",
                                                     "message": "the directory is outside OCMS_RULES_CANDIDATES_DIR"}])
    if not target.is_dir():
        raise bad_request("No such directory", [{"field": "directory",
                                                 "message": "no such directory under OCMS_RULES_CANDIDATES_DIR"}])
    files: dict[str, str] = {}
    total = 0
    for entry in sorted(target.iterdir()):
        if not is_rule_file(entry.name):
            continue
        real = entry.resolve()
        if base not in real.parents or not real.is_file():  # a link to somewhere else is not read
            raise bad_request("File not allowed", [{"field": "directory",
                                                    "message": f"{entry.name} leads outside OCMS_RULES_CANDIDATES_DIR"}])
        size = real.stat().st_size
        total += size
        if total > MAX_BUNDLE_BYTES:
            raise bad_request("Bundle too large", [{"field": "directory",
                                                    "message": f"more than {MAX_BUNDLE_BYTES} bytes of rules"}])
        try:
            files[entry.name] = real.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("Not a rules bundle", [{"field": "directory",
                                                      "message": f"{entry.name} is not UTF-8 text"}]) from None
    try:
        return from_files(files, source=str(target))
    except BundleError as e:
        raise _bundle_error(e, "directory") from None


def candidate_from_request() -> tuple[Bundle, str, dict]:
    """``(bundle, shown_as, json body options)`` of the request; OCMS-4000 naming the field if it is not one."""
    length = request.content_length
    if length is not None and length > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Payload Too Large", [{"field": "body", "message": f"at most {MAX_UPLOAD_BYTES} bytes"}])
    mimetype = request.mimetype or ""
    if mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise bad_request("Malformed JSON", [{"field": "body", "message": "a JSON object is expected"}])
        options = {k: v for k, v in body.items() if k not in ("files", "directory")}
        if "files" in body and "directory" in body:
            raise bad_request(errors=[{"field": "body", "message": "give files or directory, not both"}])
        if "directory" in body:
            bundle = directory_bundle(body["directory"], current_app.config.get("OCMS_RULES_CANDIDATES_DIR"))
            return bundle, bundle.source, options
        try:
            return from_files(body.get("files"), source="upload"), "upload", options
        except BundleError as e:
            raise _bundle_error(e, "files") from None
    if mimetype in ("application/zip", "application/x-zip-compressed", "application/octet-stream"):
        data = request.get_data(cache=False)
        if len(data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Payload Too Large", [{"field": "body", "message": f"at most {MAX_UPLOAD_BYTES} bytes"}])
        try:
            return from_zip(data, source="upload.zip"), "upload.zip", {}
        except BundleError as e:
            raise _bundle_error(e, "body") from None
    if mimetype == "multipart/form-data":
        options = {k: v for k, v in request.form.items()}
        if "bundle" in request.files:
            f = request.files["bundle"]
            data = f.read(MAX_UPLOAD_BYTES + 1)
            name = f.filename or "bundle.zip"
            try:
                return from_zip(data, source=name), name, options
            except BundleError as e:
                raise _bundle_error(e, "bundle") from None
        parts = request.files.getlist("files")
        if parts:
            files: dict[str, Any] = {}
            for part in parts:
                raw = part.read(MAX_UPLOAD_BYTES + 1)
                name = Path(part.filename or "").name
                try:
                    files[name] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise bad_request("Not a rules bundle", [{"field": "files",
                                                              "message": f"{name} is not UTF-8 text"}]) from None
            try:
                return from_files(files, source="upload"), "upload", options
            except BundleError as e:
                raise _bundle_error(e, "files") from None
        raise bad_request(errors=[{"field": "bundle", "message": "send a 'bundle' part (zip) or 'files' parts (YAML)"}])
    raise ApiError(415, "Unsupported Media Type", [{
        "field": "Content-Type",
        "message": "send application/json ({files} or {directory}), application/zip, or multipart/form-data"}])
