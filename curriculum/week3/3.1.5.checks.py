"""Checks of 3.1.5: one python check per variant (see curriculum/lib/week3.py)."""

from curriculum.lib.week3 import drill_checks

globals().update(drill_checks("3.1.5"))
