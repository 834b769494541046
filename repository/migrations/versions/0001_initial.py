"""Initial OCMS schema: every table the specs name (DESIGN.md §7).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('eocms_valid_offence_notice',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('vehicle_no', sa.String(length=20), nullable=False),
    sa.Column('notice_date_and_time', sa.DateTime(), nullable=False),
    sa.Column('offence_notice_type', sa.String(length=1), nullable=False),
    sa.Column('vehicle_registration_type', sa.String(length=1), nullable=True),
    sa.Column('vehicle_category', sa.String(length=2), nullable=True),
    sa.Column('computer_rule_code', sa.Integer(), nullable=False),
    sa.Column('composition_amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('amount_payable', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('amount_paid', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('payment_status', sa.String(length=10), nullable=True),
    sa.Column('payment_acceptance_allowed', sa.String(length=1), nullable=True),
    sa.Column('subsystem_label', sa.String(length=8), nullable=True),
    sa.Column('transaction_id', sa.String(length=50), nullable=True),
    sa.Column('pp_code', sa.String(length=5), nullable=True),
    sa.Column('pp_name', sa.String(length=100), nullable=True),
    sa.Column('offender_name', sa.String(length=66), nullable=True),
    sa.Column('prev_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('prev_processing_date', sa.DateTime(), nullable=True),
    sa.Column('last_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('last_processing_date', sa.DateTime(), nullable=True),
    sa.Column('next_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('next_processing_date', sa.DateTime(), nullable=True),
    sa.Column('suspension_type', sa.String(length=2), nullable=True),
    sa.Column('crs_reason_of_suspension', sa.String(length=3), nullable=True),
    sa.Column('crs_date_of_suspension', sa.DateTime(), nullable=True),
    sa.Column('epr_reason_of_suspension', sa.String(length=3), nullable=True),
    sa.Column('epr_date_of_suspension', sa.DateTime(), nullable=True),
    sa.Column('due_date_of_revival', sa.DateTime(), nullable=True),
    sa.Column('atoms_flag', sa.String(length=1), nullable=True),
    sa.Column('an_flag', sa.String(length=1), nullable=True),
    sa.Column('ean_sent_flag', sa.String(length=1), nullable=True),
    sa.Column('ean_sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('notification_method', sa.String(length=5), nullable=True),
    sa.Column('letter_sent_flag', sa.String(length=1), nullable=True),
    sa.Column('letter_sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('slift_submission_id', sa.String(length=50), nullable=True),
    sa.Column('unqualified_list_sent_flag', sa.String(length=1), nullable=True),
    sa.Column('unqualified_list_sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('notice_no', name=op.f('pk_eocms_valid_offence_notice'))
    )
    op.create_index('ix_eocms_valid_offence_notice_cre_date', 'eocms_valid_offence_notice', ['cre_date'], unique=False)
    op.create_index('ix_eocms_valid_offence_notice_last_stage_next_date', 'eocms_valid_offence_notice', ['last_processing_stage', 'next_processing_date'], unique=False)
    op.create_index('ix_eocms_valid_offence_notice_vehicle_no_notice_date', 'eocms_valid_offence_notice', ['vehicle_no', 'notice_date_and_time'], unique=False)

    op.create_table('ocms_an_letter_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('recipient_name', sa.String(length=66), nullable=True),
    sa.Column('recipient_address', sa.String(length=500), nullable=True),
    sa.Column('letter_file_path', sa.String(length=500), nullable=True),
    sa.Column('slift_submission_id', sa.String(length=50), nullable=True),
    sa.Column('sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('retry_count', sa.Integer(), nullable=False),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_an_letter_log'))
    )
    op.create_index('ix_ocms_an_letter_log_notice_no', 'ocms_an_letter_log', ['notice_no'], unique=False)

    op.create_table('ocms_batch_job_run',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_name', sa.String(length=50), nullable=False),
    sa.Column('run_key', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_batch_job_run'))
    )
    op.create_index('ix_ocms_batch_job_run_job_key', 'ocms_batch_job_run', ['job_name', 'run_key'], unique=False)

    op.create_table('ocms_carpark',
    sa.Column('pp_code', sa.String(length=5), nullable=False),
    sa.Column('pp_name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('carpark_type', sa.String(length=20), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('pp_code', name=op.f('pk_ocms_carpark'))
    )
    op.create_table('ocms_decision_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('caller', sa.String(length=50), nullable=True),
    sa.Column('ruleset', sa.String(length=64), nullable=False),
    sa.Column('ruleset_version', sa.String(length=20), nullable=True),
    sa.Column('ruleset_hash', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('outcome', sa.String(length=50), nullable=True),
    sa.Column('outputs', sa.JSON(), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=True),
    sa.Column('fired_rules', sa.JSON(), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_decision_log'))
    )
    op.create_index('ix_ocms_decision_log_request_id', 'ocms_decision_log', ['request_id'], unique=False)
    op.create_index('ix_ocms_decision_log_ruleset', 'ocms_decision_log', ['ruleset', 'decided_at'], unique=False)
    op.create_index('ix_ocms_decision_log_subject', 'ocms_decision_log', ['subject', 'decided_at'], unique=False)

    op.create_table('ocms_ean_notification_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=5), nullable=False),
    sa.Column('recipient_mobile', sa.String(length=20), nullable=True),
    sa.Column('recipient_email', sa.String(length=320), nullable=True),
    sa.Column('message_content', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=100), nullable=True),
    sa.Column('sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('retry_count', sa.Integer(), nullable=False),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_ean_notification_log'))
    )
    op.create_index('ix_ocms_ean_notification_log_notice_no', 'ocms_ean_notification_log', ['notice_no'], unique=False)

    op.create_table('ocms_enotification_exclusion_list',
    sa.Column('id_no', sa.String(length=20), nullable=False),
    sa.Column('id_type', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('id_no', name=op.f('pk_ocms_enotification_exclusion_list'))
    )
    op.create_table('ocms_manual_review_queue',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notice_no', sa.String(length=10), nullable=True),
    sa.Column('review_type', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('resolved_date', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=50), nullable=True),
    sa.Column('resolution_remarks', sa.Text(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_manual_review_queue'))
    )
    op.create_index('ix_ocms_manual_review_queue_notice_no', 'ocms_manual_review_queue', ['notice_no'], unique=False)
    op.create_index('ix_ocms_manual_review_queue_status', 'ocms_manual_review_queue', ['status', 'cre_date'], unique=False)

    op.create_table('ocms_offence_rule_code',
    sa.Column('computer_rule_code', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rule_description', sa.String(length=200), nullable=False),
    sa.Column('composition_amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('offence_notice_type', sa.String(length=1), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('computer_rule_code', name=op.f('pk_ocms_offence_rule_code'))
    )
    op.create_table('ocms_parameter',
    sa.Column('parameter_id', sa.String(length=30), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('parameter_id', 'code', name=op.f('pk_ocms_parameter'))
    )
    op.create_table('ocms_report_file',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_type', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('storage_path', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_report_file'))
    )
    op.create_index('ix_ocms_report_file_type_created', 'ocms_report_file', ['report_type', 'created_at'], unique=False)

    op.create_table('ocms_rules_state',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('dir_hash', sa.String(length=64), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_ocms_rules_state'))
    )
    op.create_table('ocms_stage_map',
    sa.Column('last_processing_stage', sa.String(length=3), nullable=False),
    sa.Column('next_processing_stage', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('last_processing_stage', 'next_processing_stage', name=op.f('pk_ocms_stage_map'))
    )
    op.create_table('ocms_unqualified_an_transmission_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('transmission_date', sa.Date(), nullable=False),
    sa.Column('subsystem', sa.String(length=10), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=False),
    sa.Column('success_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('retry_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_unqualified_an_transmission_log'))
    )
    op.create_index('ix_ocms_unqualified_an_transmission_log_date', 'ocms_unqualified_an_transmission_log', ['transmission_date', 'subsystem'], unique=False)

    op.create_table('ocms_valid_offence_notice',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('vehicle_no', sa.String(length=20), nullable=False),
    sa.Column('notice_date_and_time', sa.DateTime(), nullable=False),
    sa.Column('offence_notice_type', sa.String(length=1), nullable=False),
    sa.Column('vehicle_registration_type', sa.String(length=1), nullable=True),
    sa.Column('vehicle_category', sa.String(length=2), nullable=True),
    sa.Column('computer_rule_code', sa.Integer(), nullable=False),
    sa.Column('composition_amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('amount_payable', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('amount_paid', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('payment_status', sa.String(length=10), nullable=True),
    sa.Column('payment_acceptance_allowed', sa.String(length=1), nullable=True),
    sa.Column('subsystem_label', sa.String(length=8), nullable=True),
    sa.Column('transaction_id', sa.String(length=50), nullable=True),
    sa.Column('pp_code', sa.String(length=5), nullable=True),
    sa.Column('pp_name', sa.String(length=100), nullable=True),
    sa.Column('offender_name', sa.String(length=66), nullable=True),
    sa.Column('prev_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('prev_processing_date', sa.DateTime(), nullable=True),
    sa.Column('last_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('last_processing_date', sa.DateTime(), nullable=True),
    sa.Column('next_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('next_processing_date', sa.DateTime(), nullable=True),
    sa.Column('suspension_type', sa.String(length=2), nullable=True),
    sa.Column('crs_reason_of_suspension', sa.String(length=3), nullable=True),
    sa.Column('crs_date_of_suspension', sa.DateTime(), nullable=True),
    sa.Column('epr_reason_of_suspension', sa.String(length=3), nullable=True),
    sa.Column('epr_date_of_suspension', sa.DateTime(), nullable=True),
    sa.Column('due_date_of_revival', sa.DateTime(), nullable=True),
    sa.Column('atoms_flag', sa.String(length=1), nullable=True),
    sa.Column('an_flag', sa.String(length=1), nullable=True),
    sa.Column('ean_sent_flag', sa.String(length=1), nullable=True),
    sa.Column('ean_sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('notification_method', sa.String(length=5), nullable=True),
    sa.Column('letter_sent_flag', sa.String(length=1), nullable=True),
    sa.Column('letter_sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('slift_submission_id', sa.String(length=50), nullable=True),
    sa.Column('unqualified_list_sent_flag', sa.String(length=1), nullable=True),
    sa.Column('unqualified_list_sent_timestamp', sa.DateTime(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('notice_no', name=op.f('pk_ocms_valid_offence_notice'))
    )
    op.create_index('ix_ocms_valid_offence_notice_cre_date', 'ocms_valid_offence_notice', ['cre_date'], unique=False)
    op.create_index('ix_ocms_valid_offence_notice_last_stage_next_date', 'ocms_valid_offence_notice', ['last_processing_stage', 'next_processing_date'], unique=False)
    op.create_index('ix_ocms_valid_offence_notice_vehicle_no_notice_date', 'ocms_valid_offence_notice', ['vehicle_no', 'notice_date_and_time'], unique=False)

    op.create_table('ocms_vip_vehicle',
    sa.Column('vehicle_no', sa.String(length=14), nullable=False),
    sa.Column('vip_vehicle', sa.String(length=1), nullable=True),
    sa.Column('description', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('vip_label_status', sa.String(length=10), nullable=True),
    sa.Column('label_expiry_date', sa.Date(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('vehicle_no', name=op.f('pk_ocms_vip_vehicle'))
    )
    op.create_table('eocms_furnish_application',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('application_id', sa.String(length=20), nullable=False),
    sa.Column('furnish_type', sa.String(length=10), nullable=False),
    sa.Column('id_type', sa.String(length=10), nullable=True),
    sa.Column('id_no', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=66), nullable=True),
    sa.Column('contact_no', sa.String(length=20), nullable=True),
    sa.Column('email_addr', sa.String(length=320), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_date', sa.DateTime(), nullable=False),
    sa.Column('decision_date', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=50), nullable=True),
    sa.Column('rejection_reason', sa.String(length=200), nullable=True),
    sa.Column('synced_date', sa.DateTime(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['eocms_valid_offence_notice.notice_no'], name=op.f('fk_eocms_furnish_application_notice_no')),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_eocms_furnish_application'))
    )
    op.create_index('ix_eocms_furnish_application_notice_no', 'eocms_furnish_application', ['notice_no'], unique=False)

    op.create_table('eocms_suspended_notice',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('date_of_suspension', sa.DateTime(), nullable=False),
    sa.Column('sr_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('suspension_type', sa.String(length=2), nullable=False),
    sa.Column('reason_of_suspension', sa.String(length=3), nullable=False),
    sa.Column('suspension_source', sa.String(length=50), nullable=True),
    sa.Column('officer_authorising_suspension', sa.String(length=50), nullable=True),
    sa.Column('due_date_of_revival', sa.DateTime(), nullable=True),
    sa.Column('suspension_remarks', sa.String(length=200), nullable=True),
    sa.Column('date_of_revival', sa.DateTime(), nullable=True),
    sa.Column('revival_reason', sa.String(length=3), nullable=True),
    sa.Column('officer_authorising_revival', sa.String(length=50), nullable=True),
    sa.Column('revival_remarks', sa.String(length=200), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['eocms_valid_offence_notice.notice_no'], name=op.f('fk_eocms_suspended_notice_notice_no')),
    sa.PrimaryKeyConstraint('notice_no', 'date_of_suspension', 'sr_no', name=op.f('pk_eocms_suspended_notice'))
    )
    op.create_index('ix_eocms_suspended_notice_reason_date', 'eocms_suspended_notice', ['reason_of_suspension', 'date_of_suspension'], unique=False)

    op.create_table('ocms_change_of_processing',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('date_of_change', sa.Date(), nullable=False),
    sa.Column('last_processing_stage', sa.String(length=3), nullable=True),
    sa.Column('new_processing_stage', sa.String(length=3), nullable=False),
    sa.Column('reason_of_change', sa.String(length=3), nullable=True),
    sa.Column('authorised_officer', sa.String(length=50), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['notice_no'], ['ocms_valid_offence_notice.notice_no'], name=op.f('fk_ocms_change_of_processing_notice_no')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocms_change_of_processing'))
    )
    op.create_index('ix_ocms_change_of_processing_date_of_change', 'ocms_change_of_processing', ['date_of_change'], unique=False)
    op.create_index('ix_ocms_change_of_processing_notice_date', 'ocms_change_of_processing', ['notice_no', 'date_of_change'], unique=False)

    op.create_table('ocms_court_case',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('court_case_no', sa.String(length=30), nullable=True),
    sa.Column('court_date', sa.DateTime(), nullable=True),
    sa.Column('court_payment_due_date', sa.Date(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['ocms_valid_offence_notice.notice_no'], name=op.f('fk_ocms_court_case_notice_no')),
    sa.PrimaryKeyConstraint('notice_no', name=op.f('pk_ocms_court_case'))
    )
    op.create_table('ocms_furnish_application',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('application_id', sa.String(length=20), nullable=False),
    sa.Column('furnish_type', sa.String(length=10), nullable=False),
    sa.Column('id_type', sa.String(length=10), nullable=True),
    sa.Column('id_no', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=66), nullable=True),
    sa.Column('contact_no', sa.String(length=20), nullable=True),
    sa.Column('email_addr', sa.String(length=320), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_date', sa.DateTime(), nullable=False),
    sa.Column('decision_date', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=50), nullable=True),
    sa.Column('rejection_reason', sa.String(length=200), nullable=True),
    sa.Column('synced_date', sa.DateTime(), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['ocms_valid_offence_notice.notice_no'], name=op.f('fk_ocms_furnish_application_notice_no')),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_ocms_furnish_application'))
    )
    op.create_index('ix_ocms_furnish_application_notice_no', 'ocms_furnish_application', ['notice_no'], unique=False)

    op.create_table('ocms_offence_notice_detail',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('lot_no', sa.String(length=10), nullable=True),
    sa.Column('vehicle_make', sa.String(length=50), nullable=True),
    sa.Column('vehicle_model', sa.String(length=50), nullable=True),
    sa.Column('colour_of_vehicle', sa.String(length=20), nullable=True),
    sa.Column('road_tax_expiry_date', sa.Date(), nullable=True),
    sa.Column('diplomatic_flag', sa.String(length=1), nullable=True),
    sa.Column('image_count', sa.Integer(), nullable=True),
    sa.Column('remarks', sa.String(length=200), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['ocms_valid_offence_notice.notice_no'], name=op.f('fk_ocms_offence_notice_detail_notice_no')),
    sa.PrimaryKeyConstraint('notice_no', name=op.f('pk_ocms_offence_notice_detail'))
    )
    op.create_table('ocms_offence_notice_owner_driver',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('owner_driver_indicator', sa.String(length=3), nullable=False),
    sa.Column('is_current', sa.String(length=1), nullable=False),
    sa.Column('id_type', sa.String(length=10), nullable=True),
    sa.Column('id_no', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=66), nullable=True),
    sa.Column('bldg_name', sa.String(length=65), nullable=True),
    sa.Column('street_name', sa.String(length=65), nullable=True),
    sa.Column('unit_no', sa.String(length=10), nullable=True),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('mobile_no', sa.String(length=20), nullable=True),
    sa.Column('email_addr', sa.String(length=320), nullable=True),
    sa.Column('mha_checked_date', sa.DateTime(), nullable=True),
    sa.Column('is_deceased', sa.String(length=1), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['ocms_valid_offence_notice.notice_no'], name=op.f('fk_ocms_offence_notice_owner_driver_notice_no')),
    sa.PrimaryKeyConstraint('notice_no', 'owner_driver_indicator', name=op.f('pk_ocms_offence_notice_owner_driver'))
    )
    op.create_index('ix_ocms_offence_notice_owner_driver_id_no', 'ocms_offence_notice_owner_driver', ['id_no'], unique=False)

    op.create_table('ocms_suspended_notice',
    sa.Column('notice_no', sa.String(length=10), nullable=False),
    sa.Column('date_of_suspension', sa.DateTime(), nullable=False),
    sa.Column('sr_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('suspension_type', sa.String(length=2), nullable=False),
    sa.Column('reason_of_suspension', sa.String(length=3), nullable=False),
    sa.Column('suspension_source', sa.String(length=50), nullable=True),
    sa.Column('officer_authorising_suspension', sa.String(length=50), nullable=True),
    sa.Column('due_date_of_revival', sa.DateTime(), nullable=True),
    sa.Column('suspension_remarks', sa.String(length=200), nullable=True),
    sa.Column('date_of_revival', sa.DateTime(), nullable=True),
    sa.Column('revival_reason', sa.String(length=3), nullable=True),
    sa.Column('officer_authorising_revival', sa.String(length=50), nullable=True),
    sa.Column('revival_remarks', sa.String(length=200), nullable=True),
    sa.Column('cre_date', sa.DateTime(), nullable=False),
    sa.Column('cre_user_id', sa.String(length=50), nullable=False),
    sa.Column('upd_date', sa.DateTime(), nullable=True),
    sa.Column('upd_user_id', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['notice_no'], ['ocms_valid_offence_notice.notice_no'], name=op.f('fk_ocms_suspended_notice_notice_no')),
    sa.PrimaryKeyConstraint('notice_no', 'date_of_suspension', 'sr_no', name=op.f('pk_ocms_suspended_notice'))
    )
    op.create_index('ix_ocms_suspended_notice_reason_date', 'ocms_suspended_notice', ['reason_of_suspension', 'date_of_suspension'], unique=False)



def downgrade() -> None:
    op.drop_table('ocms_suspended_notice')
    op.drop_table('ocms_offence_notice_owner_driver')
    op.drop_table('ocms_offence_notice_detail')
    op.drop_table('ocms_furnish_application')
    op.drop_table('ocms_court_case')
    op.drop_table('ocms_change_of_processing')
    op.drop_table('eocms_suspended_notice')
    op.drop_table('eocms_furnish_application')
    op.drop_table('ocms_vip_vehicle')
    op.drop_table('ocms_valid_offence_notice')
    op.drop_table('ocms_unqualified_an_transmission_log')
    op.drop_table('ocms_stage_map')
    op.drop_table('ocms_rules_state')
    op.drop_table('ocms_report_file')
    op.drop_table('ocms_parameter')
    op.drop_table('ocms_offence_rule_code')
    op.drop_table('ocms_manual_review_queue')
    op.drop_table('ocms_enotification_exclusion_list')
    op.drop_table('ocms_ean_notification_log')
    op.drop_table('ocms_decision_log')
    op.drop_table('ocms_carpark')
    op.drop_table('ocms_batch_job_run')
    op.drop_table('ocms_an_letter_log')
    op.drop_table('eocms_valid_offence_notice')
