"""Trusted helpers shared by the curriculum's <id>.checks.py modules."""
