"""Stage progression for every notice (OCMS 14 tab 2 steps 8-19; OCMS 15 stage map) and its set-based plumbing.

* :mod:`.batch` — set-based suspend / revive / mirror writes over a batch of notices, failure isolation.
* :mod:`.moves` — business dates of the jobs, next stage and date from rules/stage_map.yaml.
* :mod:`.progression` — the daily ``stage-progression`` job: due notices to their next stage, after the
  checks rules/stage_progression.yaml asks for (LTA, MHA, DataHive) and with the reminder letters.
* :mod:`.letters` — letters for the print vendor: PDF from a template, delivered once over SFTP.
"""
