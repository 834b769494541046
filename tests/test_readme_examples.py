"""Every example in the README runs, as written, against ``bin/demo`` and prints the answer shown beside it.

What counts as an example (README "Examples in this README"): a ```bash block that calls the demo with curl
(``127.0.0.1:<a demo port>``) or sources ``instance/demo.env``. The ```json or ```text block right after it
is its answer: JSON is compared as a subset (the keys shown must match; ``"…"`` and ``[...]`` stand for any
value), text line by line (``…`` stands for any run of characters; a line of just ``…`` for any lines). The blocks run in README order in one
shell session (exported variables carry over), with the working directory laid out like a checkout
(``.venv`` and ``instance/``), against a demo started here by ``bin/demo`` on free ports: the only change
made to an example is the port numbers. New examples are picked up by adding them to the README.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
README = PROJECT_ROOT / "README.md"
#: The README's (bin/demo's default) ports: the API, then the simulators.
DEMO_PORTS = {"8000": "PORT", "8701": "OCMS_DEMO_CAS_PORT", "8025": "OCMS_DEMO_SMTP_PORT",
              "9101": "OCMS_DEMO_REPCCS_PORT", "9102": "OCMS_DEMO_CES_PORT", "8711": "OCMS_DEMO_LTA_PORT",
              "8712": "OCMS_DEMO_DATAHIVE_PORT", "8713": "OCMS_DEMO_MHA_PORT", "8714": "OCMS_DEMO_SMS_PORT",
              "8715": "OCMS_DEMO_EMAIL_PORT", "8716": "OCMS_DEMO_SLIFT_PORT", "8722": "OCMS_DEMO_SFTP_PORT"}
_DEMO_ADDRESS = re.compile(r"\b(127\.0\.0\.1|localhost):(" + "|".join(DEMO_PORTS) + r")\b")
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
ANY = "…"


@dataclass
class Example:
    line: int
    heading: str
    code: str
    answer_kind: str | None
    answer: str | None

    @property
    def id(self) -> str:
        return f"README.md:{self.line} ({self.heading})"


def readme_examples(text: str) -> list[Example]:
    """The examples of a README text, in order, each with the answer block that follows it (if any)."""
    blocks = list(_FENCE.finditer(text))
    out = []
    for i, m in enumerate(blocks):
        kind, code = m.group(1), m.group(2)
        if kind != "bash" or not ((_DEMO_ADDRESS.search(code) and "curl " in code) or "instance/demo.env" in code):
            continue
        answer_kind = answer = None
        if i + 1 < len(blocks):
            nxt = blocks[i + 1]
            if not text[m.end():nxt.start()].strip() and nxt.group(1) in ("json", "text"):
                answer_kind, answer = nxt.group(1), nxt.group(2)
        line = text.count("\n", 0, m.start()) + 1
        headings = re.findall(r"^#+ (.+)$", text[:m.start()], re.M)
        out.append(Example(line, headings[-1] if headings else "", code, answer_kind, answer))
    return out


# ---- matching ---------------------------------------------------------------------------------------------
def json_differences(expected, actual, path="$") -> list[str]:
    """How ``actual`` differs from the README's ``expected`` (a subset; "…" matches anything)."""
    if expected == ANY:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"[:300]]
        out = []
        for k, v in expected.items():
            out += [f"{path}.{k}: missing"] if k not in actual else json_differences(v, actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {json.dumps(actual)[:300]}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in json_differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)) and not isinstance(expected, bool):
        return [] if abs(expected - actual) < 1e-9 else [f"{path}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def text_differences(expected: str, actual: str) -> list[str]:
    """Line by line; "…" in a line stands for any run of characters, a line of just "…" for any lines (or none)."""
    want, got = expected.strip("\n").splitlines(), actual.strip("\n").splitlines()
    if ANY in want:  # a run of lines left open: match the whole text at once
        parts = [r"(?:[^\n]*\n)*?" if w == ANY else ".*".join(re.escape(p) for p in w.split(ANY)) + r"\n"
                 for w in want]
        return [] if re.fullmatch("".join(parts), "\n".join(got) + "\n") else [
            f"expected (… = any lines):\n{expected}\ngot:\n{actual}"]
    if len(want) != len(got):
        return [f"expected {len(want)} lines, got {len(got)}:\n{actual}"]
    out = []
    for i, (w, g) in enumerate(zip(want, got), 1):
        pattern = ".*".join(re.escape(part) for part in w.split(ANY))
        if not re.fullmatch(pattern, g):
            out.append(f"line {i}: expected {w!r}, got {g!r}")
    return out


def parse_answer(text: str):
    return json.loads(re.sub(r"\[\s*\.\.\.\s*\]", lambda m: json.dumps(ANY), text))


# ---- the demo -----------------------------------------------------------------------------------------------
@dataclass
class Demo:
    ports: dict[str, int]
    home: Path
    state: Path

    def localise(self, code: str) -> str:
        """The example with the demo's ports instead of the README's defaults."""
        return _DEMO_ADDRESS.sub(lambda m: f"{m.group(1)}:{self.ports[m.group(2)]}", code)

    def run(self, code: str, timeout: float = 120) -> subprocess.CompletedProcess:
        script = (f"set -a; [ -f {shlex.quote(str(self.state))} ] && . {shlex.quote(str(self.state))}; set +a\n"
                  f"{self.localise(code)}\n__status=$?\nexport -p > {shlex.quote(str(self.state))}\nexit $__status\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCMS_")}
        return subprocess.run(["bash", "-c", script], cwd=self.home, env=env, capture_output=True, text=True,
                              timeout=timeout)


def distinct_free_ports(n: int) -> list[int]:
    """``n`` different ports nobody listens on: all bound at once (port 0), then released together."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("readme")
    (home / ".venv").symlink_to(PROJECT_ROOT / ".venv")   # the examples call .venv/bin/...
    ports = dict(zip(DEMO_PORTS, distinct_free_ports(len(DEMO_PORTS))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCMS_")}  # the demo's own settings only
    env.update({var: str(ports[p]) for p, var in DEMO_PORTS.items()})
    env.update(OCMS_DEMO_DIR=str(home / "instance"), OCMS_DEMO_NO_INSTALL="1")
    log = open(home / "demo.log", "w")
    proc = subprocess.Popen([str(PROJECT_ROOT / "bin" / "demo")], cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{ports['8000']}/health/ready"
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"bin/demo exited with {proc.returncode}:\n{(home / 'demo.log').read_text()[-3000:]}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the demo was not ready in 180 s:\n{(home / 'demo.log').read_text()[-3000:]}")
            time.sleep(0.3)
        sims = home / "instance" / "simulators.log"
        while "Ctrl-C to stop." not in (sims.read_text() if sims.exists() else ""):  # every simulator is up
            if time.monotonic() > deadline or "Traceback" in (sims.read_text() if sims.exists() else ""):
                pytest.fail(f"the demo's simulators did not start:\n{sims.read_text()[-3000:] if sims.exists() else ''}")
            time.sleep(0.2)
        yield Demo(ports, home, home / "session.env")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        log.close()


EXAMPLES = readme_examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples_and_each_has_its_answer():
    assert len(EXAMPLES) >= 15
    assert [e.id for e in EXAMPLES if e.answer is None] == []


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_readme_example(demo, example):
    done = demo.run(example.code)
    assert done.returncode == 0, f"{example.id} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    if example.answer_kind == "json":
        try:
            actual = json.loads(done.stdout)
        except ValueError:
            pytest.fail(f"{example.id} printed no JSON:\n{done.stdout}\n{done.stderr}")
        problems = json_differences(parse_answer(example.answer), actual)
    else:
        problems = text_differences(example.answer, done.stdout)
    assert not problems, f"{example.id}:\n" + "\n".join(problems) + f"\n--- printed:\n{done.stdout}"


# ---- the harness itself ---------------------------------------------------------------------------------------
def test_parser_pairs_examples_with_their_answers():
    text = ("# A\n```bash\ncurl -s http://127.0.0.1:8000/x\n```\n\n```json\n{\"a\": [...]}\n```\n"
            "## B\n```bash\n.venv/bin/ocms db upgrade\n```\n```bash\nbin/demo  # serves http://127.0.0.1:8000\n```\n"
            "```bash\n. instance/demo.env\necho hi\n```\nsome text\n```text\nhi\n```\n")
    got = readme_examples(text)
    assert [(e.heading, e.answer_kind) for e in got] == [("A", "json"), ("B", None)]
    assert parse_answer(got[0].answer) == {"a": ANY}
    demo = Demo({"8000": 1234}, Path("."), Path("x"))
    assert demo.localise("curl http://127.0.0.1:8000/v1 localhost:8000") == "curl http://127.0.0.1:1234/v1 localhost:1234"


def test_matching_rules():
    assert json_differences({"a": 1, "b": ANY}, {"a": 1, "b": [1, 2], "c": 3}) == []
    assert json_differences({"a": [ANY]}, {"a": [1, 2]}) == ["$.a: expected 1 items, got [1, 2]"]
    assert json_differences({"a": 1.0}, {"a": 1}) == [] and json_differences({"a": "1"}, {"a": 1}) != []
    assert text_differences("status … done", "status 200 OK done") == []
    assert text_differences("x", "y") == ["line 1: expected 'x', got 'y'"]
    assert text_differences("# TYPE a counter\n…\nend", "# TYPE a counter\na{x=1} 2\na{x=2} 3\nend") == []
    assert text_differences("# TYPE a counter\n…", "# TYPE a counter") == []
    assert text_differences("# TYPE a counter\n…", "# TYPE b gauge\nx") != []
