"""engine.bundle (a rules version by content) and engine.impact (two registries over the same facts)."""
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import RuleRegistry, directory_hash
from engine.bundle import (
    BundleError, bundle_hash, from_files, from_zip, read_directory, relocate_errors, write_snapshot,
)
from engine.errors import RulesError
from engine.impact import ImpactCase, compare

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_bundle_hash_is_the_directory_hash(tmp_path):
    b = read_directory(RULES)
    assert b.hash == directory_hash(RULES) == bundle_hash(b.files)
    snap = write_snapshot(b, tmp_path)
    assert snap.name == b.hash and directory_hash(snap) == b.hash
    assert {p.name for p in snap.iterdir()} == set(b.files)
    assert "README.md" not in b.files and all(n.endswith(".yaml") for n in b.files)


def test_snapshot_is_written_once_and_repaired_if_tampered(tmp_path):
    b = read_directory(RULES)
    snap = write_snapshot(b, tmp_path)
    stamp = (snap / "an_qualification.yaml").stat().st_mtime_ns
    assert write_snapshot(b, tmp_path) == snap and (snap / "an_qualification.yaml").stat().st_mtime_ns == stamp
    (snap / "an_qualification.yaml").write_text("ruleset: tampered\n")
    (snap / "extra.yaml").write_text("ruleset: extra\n")
    again = write_snapshot(b, tmp_path)
    assert directory_hash(again) == b.hash and not (again / "extra.yaml").exists()


def test_errors_found_in_a_snapshot_name_the_analysts_files(tmp_path):
    snap = tmp_path / ("a" * 64)
    errs = [RulesError(str(snap / "x.yaml"), 3, 4, "bad", "m", "h", "x", "R1"), RulesError("elsewhere.yaml", 1, 1, "c", "m")]
    out = relocate_errors(errs, snap, "rules")
    assert out[0].file == "rules/x.yaml" and (out[0].line, out[0].column, out[0].rule) == (3, 4, "R1")
    assert out[1].file == "elsewhere.yaml"


def test_zip_with_one_folder_equals_the_files():
    files = {"a.yaml": "ruleset: a\n", "b.yml": "ruleset: b\n"}
    for folder in ("", "rules/"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, t in files.items():
                z.writestr(folder + n, t)
            z.writestr(folder + "README.md", "ignored")
        assert from_zip(buf.getvalue()).files == files


@pytest.mark.parametrize("entries, message", [
    ({"a/b/c.yaml": "x"}, "not a plain file"),
    ({"/abs.yaml": "x"}, "not a plain file"),
    ({"../up.yaml": "x"}, "not a plain file"),
    ({"one/a.yaml": "x", "two/b.yaml": "y"}, "several folders"),
    ({"bad.yaml": b"\xff\xfe"}, "not valid UTF-8"),
])
def test_bad_zips(entries, message):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, t in entries.items():
            z.writestr(n, t)
    with pytest.raises(BundleError) as e:
        from_zip(buf.getvalue())
    assert message in str(e.value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.dictionaries(st.text(min_size=0, max_size=40), st.one_of(st.text(max_size=200), st.integers(), st.none()),
                       max_size=6))
def test_any_upload_is_a_bundle_or_a_bundle_error(tmp_path, files):
    """Whatever names and contents a caller sends: a BundleError, or a bundle whose snapshot hashes to its name."""
    try:
        b = from_files(files)
    except BundleError as e:
        assert e.errors and all(isinstance(x, RulesError) for x in e.errors)
        return
    snap = write_snapshot(b, tmp_path)
    assert directory_hash(snap) == b.hash
    assert all(snap in (snap / n).resolve().parents for n in b.files)  # nothing written outside


# ---- impact ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def registries(tmp_path_factory):
    base_dir = tmp_path_factory.mktemp("base")
    cand_dir = tmp_path_factory.mktemp("cand")
    for d in (base_dir, cand_dir):
        shutil.rmtree(d)
        shutil.copytree(RULES, d)
    p = cand_dir / "an_qualification.yaml"
    p.write_text(p.read_text().replace("past_offences_24m: {gt: 0}", "past_offences_24m: {gt: 2}")
                 .replace("computer_rule_code: 20412, composition_amount: 80.00",
                          "computer_rule_code: 20412, composition_amount: {gte: 80.00}")
                 .replace("  vehicle_category: {type: string, normalise: code, required: false",
                          "  lane: {type: string}\n  vehicle_category: {type: string, normalise: code, required: false"))
    from api.decisions.vocabulary import VOCABULARY
    base, cand = RuleRegistry(base_dir, VOCABULARY), RuleRegistry(cand_dir, VOCABULARY)
    yield base, cand
    base.close()
    cand.close()


FACTS = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10001,
         "composition_amount": 70.00, "past_offences_24m": 3}


def test_compare_counts_pairs_and_refusals(registries):
    base, cand = registries
    cand_facts = lambda f: {**f, "lane": "A"}  # noqa: E731  (the candidate declares a new required fact)
    cases = [ImpactCase("an_qualification", cand_facts({**FACTS, "past_offences_24m": n}), subject=f"N{n}")
             for n in (0, 1, 2, 3, 4)]
    cases.append(ImpactCase("an_qualification", FACTS, subject="NO-LANE"))  # refused by the candidate only
    cases.append(ImpactCase("no_such_ruleset", {}, subject="GONE"))         # in neither: no change
    report = compare(base, cand, cases, batch_size=3)
    assert report.compared == 7
    # base refuses 'lane' (not a fact there): every case with it changes refused -> decided
    assert report.changed == 6
    pairs = dict(((b, a), n) for (_, b, a), n in report.pairs.items())
    assert pairs[("(refused)", "NOT_QUALIFIED")] == 3 and pairs[("(refused)", "QUALIFIED")] == 2
    assert pairs[("QUALIFIED", "(refused)")] == 1
    no_lane = next(c for c in report.changes if c.case.subject == "NO-LANE")
    assert "lane" in no_lane.after.error and no_lane.before.fired == ["BR-AN-QUAL-002"]
    d = report.to_dict()
    assert d["changed"] == 6 and d["compared"] == 7 and d["perRuleset"]["an_qualification"] == {"compared": 6,
                                                                                                 "changed": 6}


def test_compare_is_the_same_in_batches_and_singly(registries):
    base, cand = registries
    cases = [ImpactCase("an_qualification", {**FACTS, "lane": "A", "computer_rule_code": code,
                                             "composition_amount": amount, "past_offences_24m": n}, subject=str(i))
             for i, (code, amount, n) in enumerate((c, a, n) for c in (20412, 10001) for a in (79.99, 80.00, 80.01)
                                                   for n in (0, 1, 3))]
    batched = compare(base, cand, cases, batch_size=1000)
    single = compare(base, cand, cases, batch_size=1)
    assert batched.to_dict() == single.to_dict() and batched.compared == 18
