"""Checks of 5.2.3 (robust training techniques): see curriculum/lib/week5_apps.py."""

from curriculum.lib.week5_apps import (
    PROBE_ROBUST,
    judge_robust_monitoring,
    judge_robust_noise,
    judge_robust_stopping,
    robust_inputs,
)

__all__ = ["PROBE_ROBUST", "judge_robust_monitoring", "judge_robust_noise",
           "judge_robust_stopping", "robust_inputs"]
