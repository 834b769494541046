"""The OCMS rule engine: YAML rulesets compiled to durable_rules.

Public API:
- RuleRegistry(directory, actions, timezone="Asia/Singapore"): load, evaluate(name, facts, explain=False,
  use_cache=True), evaluate_many, reload, cache_stats (with disagreements), status
- check_directory(directory, actions, warnings=None) -> list[RulesError] (warnings: a list that receives the
  findings that do not refuse a file, e.g. decision-table gaps; see engine.tables)
- explain_yaml_error(error, text): a PyYAML error in plain words (line, column, code, message, hint)
- load_fixtures / run_fixtures / replay / format_report: fixture replay and rule coverage
  (replay(registry, path): the fixtures root, one ruleset's folder or one file); junit_xml(report, ...)
- measure_coverage(registry, report) -> Coverage / format_coverage: value coverage (each list value, enum
  value and boundary side a rule names, exercised or not; engine.coverage)
- Decision, Action, TraceStep; ActionVocabulary, ActionSpec, ActionParam
- errors: EngineError > RulesLoadError (load time, list of RulesError) | FactError (call time)
  | EngineDisagreement (durable_rules and the rules as written differ: refused, never cached)
"""
from .actions import ActionParam, ActionSpec, ActionVocabulary
from .decision import Action, Decision, TraceStep
from .errors import (
    EngineDisagreement, EngineError, FactError, FactProblem, RulesError, RulesLoadError, UnknownRulesetError,
)
from .coverage import Coverage, Target, format_coverage
from .coverage import measure as measure_coverage
from .fixtures import (
    Case, CaseResult, Report, fixture_files, format_report, junit_xml, load_fixtures, replay, run_fixtures,
)
from .loader import directory_hash, explain_yaml_error, load_directory, load_file
from .model import Ruleset
from .registry import RuleRegistry, check_directory

__all__ = [
    "Action", "ActionParam", "Case", "CaseResult", "Coverage", "Report", "Target", "format_coverage", "junit_xml",
    "measure_coverage", "fixture_files", "format_report", "load_fixtures", "replay",
    "run_fixtures", "ActionSpec", "ActionVocabulary", "Decision", "EngineDisagreement", "EngineError",
    "FactError", "FactProblem", "RuleRegistry", "Ruleset", "RulesError", "RulesLoadError", "TraceStep",
    "UnknownRulesetError", "check_directory", "directory_hash", "explain_yaml_error", "load_directory", "load_file",
]
