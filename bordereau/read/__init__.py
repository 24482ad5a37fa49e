"""Stage 1, reading: open a workbook safely (extent, workbook), find its bordereau (layout), type its cells (lines)."""
