"""Checks of 4.2.4: one python check per declaration (see curriculum/lib/week4.py)."""

from curriculum.lib.week4 import layer_checks

globals().update(layer_checks("4.2.4"))
