"""Asking the engine and acting on its answers — shared by every area (DESIGN.md §4, §5).

* :mod:`.service` — the rules in service in this process (:class:`RulesService`, :func:`get_rules`) and
  their propagation to every worker after a reload.
* :mod:`.vocabulary` — the actions rules may ask for (:data:`VOCABULARY`), checked at load time.
* :mod:`.apply` — :func:`apply_actions`: one function per action name, inside the caller's unit of work.
* :mod:`.log` — :func:`record_decisions`: the decision log rows, in the same transaction.
"""
from .apply import ApplyError, ApplyResult, apply_actions
from .log import record_decisions
from .vocabulary import VOCABULARY

__all__ = ["ApplyError", "ApplyResult", "VOCABULARY", "apply_actions", "record_decisions"]
