"""Stage 4, auditing what a CPAM receives: the verdict of each line (lines), checks of whole bordereaux (checks) and
of earlier audits (history), the result (model) and its rows (rows), gathered by `run.audit_files`."""
