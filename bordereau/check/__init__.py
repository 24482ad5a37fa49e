"""Stage 2, checking: every rule on the lines read (rules, sheets, schema), gathered by `run.check_files`."""
