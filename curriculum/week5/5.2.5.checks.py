"""Checks of 5.2.5 (distributed training simulation): see curriculum/lib/week5_apps.py."""

from curriculum.lib.week5_apps import (
    PROBE_DIST,
    dist_inputs_acc,
    dist_inputs_async,
    dist_inputs_reduce,
    judge_accumulation,
    judge_all_reduce,
    judge_async,
)

__all__ = ["PROBE_DIST", "dist_inputs_acc", "dist_inputs_async", "dist_inputs_reduce",
           "judge_accumulation", "judge_all_reduce", "judge_async"]
