"""Change Processing Stage (OCMS 15): search, validate, submit, PLUS, Toppan, reports.

Modules: :mod:`.queries` (set-based reads/writes, row locking), :mod:`.decide`
(the rulesets asked), :mod:`.search`, :mod:`.change` (validate/submit),
:mod:`.plus`, :mod:`.toppan` (API use case and the ``toppan-cps`` job),
:mod:`.reports` (Excel report store), :mod:`.schemas` (payloads).
"""
from .change import ChangeRequest, apply_changes, validate
from .plus import plus_change
from .search import search
from .toppan import update_batch

__all__ = ["ChangeRequest", "apply_changes", "plus_change", "search", "update_batch", "validate"]
