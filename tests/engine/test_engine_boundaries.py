"""engine/ stands alone: no web framework, database or HTTP client (DESIGN.md §2)."""
import subprocess
import sys

from .conftest import ROOT


def test_importing_and_using_engine_loads_no_flask_sqlalchemy_or_requests(tmp_path):
    (tmp_path / "sample.yaml").write_text((ROOT / "tests/engine/testdata/base.good.yaml").read_text())
    code = (
        "import sys\n"
        "from engine import RuleRegistry, ActionVocabulary\n"
        f"r = RuleRegistry({str(tmp_path)!r}, ActionVocabulary())\n"
        "assert r.evaluate('sample', {'kind': 'E', 'amount': 1, 'code': 2}).outcome == 'NO'\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'requests', 'marshmallow', 'api', 'repository'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_engine_sources_import_nothing_forbidden():
    forbidden = ("flask", "sqlalchemy", "requests", "marshmallow", "api", "repository")
    for path in (ROOT / "engine").glob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            words = line.strip().split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                assert words[1].split(".")[0] not in forbidden, f"{path.name}:{n}: {line.strip()}"
