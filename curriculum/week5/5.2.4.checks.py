"""Checks of 5.2.4 (adversarial training): see curriculum/lib/week5_apps.py."""

from curriculum.lib.week5_apps import (
    PROBE_ADVTRAIN,
    PROBE_FGSM,
    advtrain_inputs,
    fgsm_inputs,
    judge_advtrain,
    judge_fgsm,
)

__all__ = ["PROBE_ADVTRAIN", "PROBE_FGSM", "advtrain_inputs", "fgsm_inputs", "judge_advtrain",
           "judge_fgsm"]
