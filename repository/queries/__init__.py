"""Query functions over the OCMS schema; each takes a Session and never commits."""

from .decisions import (
    DECISION_LOG_FIELDS, LOGGED_COLUMNS, count_logged_decisions, decision_log_values, decisions_for_subject, iter_logged_decisions,
    log_decisions, logged_decisions,
)
from .jobs import finish_job_run, job_run_succeeded, last_job_run, start_job_run
from .mirror import copy_notice_to_mirror
from .notices import (
    VehicleHistory, count_past_offences, get_notice, get_notices, mark_notice_created, notice_created_here,
    past_offence_counts, vehicle_history,
)
from .parameters import get_int_parameter, get_parameter, get_parameters, set_parameter
from .receipts import IntakeLookup, intake_lookup
from .rules_state import bump_rules_state, get_rules_generation, get_rules_state
from .writes import insert_in_one_statement, row_of
from .suspensions import lock_notice, lock_notices, lock_vehicle, next_sr_no, next_sr_nos

__all__ = [
    "DECISION_LOG_FIELDS", "LOGGED_COLUMNS", "bump_rules_state", "copy_notice_to_mirror", "mark_notice_created",
    "notice_created_here", "IntakeLookup", "intake_lookup", "count_logged_decisions", "iter_logged_decisions",
    "logged_decisions", "count_past_offences", "decisions_for_subject",
    "finish_job_run", "get_int_parameter", "get_notice", "get_notices", "get_parameter",
    "get_parameters", "get_rules_generation", "get_rules_state", "job_run_succeeded",
    "last_job_run", "lock_notice", "lock_notices", "lock_vehicle", "log_decisions", "next_sr_no", "next_sr_nos", "past_offence_counts",
    "set_parameter", "start_job_run", "VehicleHistory", "vehicle_history", "decision_log_values", "insert_in_one_statement", "row_of",
]
