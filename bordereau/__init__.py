"""bordereau: check, price and export the bordereaux of the HPV school-vaccination campaign."""

__version__ = "0.1.0"
