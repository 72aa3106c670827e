"""Checks of 5.2.1 (multi-task trainer): see curriculum/lib/week5_apps.py."""

from curriculum.lib.week5_apps import (
    PROBE_MULTITASK,
    judge_multitask_balance,
    judge_multitask_training,
    multitask_inputs_balance,
    multitask_inputs_train,
)

__all__ = ["PROBE_MULTITASK", "judge_multitask_balance", "judge_multitask_training",
           "multitask_inputs_balance", "multitask_inputs_train"]
