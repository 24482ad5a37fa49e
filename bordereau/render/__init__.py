"""Rendering computed results: terminal tables, HTML pages, annotated workbooks. No arithmetic here."""
