"""Checks of 5.2.2 (curriculum learning): see curriculum/lib/week5_apps.py."""

from curriculum.lib.week5_apps import (
    PROBE_CURRICULUM,
    curriculum_inputs_score,
    curriculum_inputs_train,
    judge_curriculum_scoring,
    judge_curriculum_training,
)

__all__ = ["PROBE_CURRICULUM", "curriculum_inputs_score", "curriculum_inputs_train",
           "judge_curriculum_scoring", "judge_curriculum_training"]
