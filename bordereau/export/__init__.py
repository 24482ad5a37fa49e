"""Stage 4, exporting: which lines go in which bordereau (plan), and the export written and recorded (run)."""
