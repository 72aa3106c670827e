"""Checks of 4.1.1: one python check per class (see curriculum/lib/week4.py)."""

from curriculum.lib.week4 import module_checks

globals().update(module_checks("4.1.1"))
