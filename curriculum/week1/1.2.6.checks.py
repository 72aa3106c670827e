"""Checks of 1.2.6: every variant against the learner's own base tensor (see curriculum/lib/week1.py)."""

from curriculum.lib.week1 import indexing_module

globals().update(indexing_module("1.2.6"))
