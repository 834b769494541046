"""The OCMS rule engine: YAML rulesets compiled to durable_rules.

Public API:
- RuleRegistry(directory, actions): load, evaluate(name, facts, explain=False), evaluate_many, reload
- check_directory(directory, actions) -> list[RulesError]
- load_fixtures / run_fixtures / format_report: fixture replay and rule coverage
- Decision, Action, TraceStep; ActionVocabulary, ActionSpec, ActionParam
- errors: EngineError > RulesLoadError (load time, list of RulesError) | FactError (call time)
"""
from .actions import ActionParam, ActionSpec, ActionVocabulary
from .decision import Action, Decision, TraceStep
from .errors import (
    EngineDisagreement, EngineError, FactError, FactProblem, RulesError, RulesLoadError, UnknownRulesetError,
)
from .fixtures import Case, CaseResult, Report, format_report, load_fixtures, run_fixtures
from .loader import directory_hash, load_directory, load_file
from .model import Ruleset
from .registry import RuleRegistry, check_directory

__all__ = [
    "Action", "ActionParam", "Case", "CaseResult", "Report", "format_report", "load_fixtures", "run_fixtures", "ActionSpec", "ActionVocabulary", "Decision", "EngineDisagreement", "EngineError",
    "FactError", "FactProblem", "RuleRegistry", "Ruleset", "RulesError", "RulesLoadError", "TraceStep",
    "UnknownRulesetError", "check_directory", "directory_hash", "load_directory", "load_file",
]
