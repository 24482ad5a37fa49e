"""Stage 3, pricing: the split of each line (split) and the sums per CPAM, centre, régime or coverage (totals)."""
