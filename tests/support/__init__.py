"""Test helpers shared across test folders (STYLE.md: one support package, not one per folder)."""
