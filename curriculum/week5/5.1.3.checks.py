"""Checks of 5.1.3: the training loops 11-15 (see curriculum/lib/week5.py)."""

from curriculum.lib.week5 import PROBE, judge_variant, make_inputs

__all__ = ["PROBE"]


def inputs_11(rng):
    return make_inputs(11, rng)


def judge_11(learner, reference, inputs, ctx):
    return judge_variant(11, learner, reference, inputs, ctx)


def inputs_12(rng):
    return make_inputs(12, rng)


def judge_12(learner, reference, inputs, ctx):
    return judge_variant(12, learner, reference, inputs, ctx)


def inputs_13(rng):
    return make_inputs(13, rng)


def judge_13(learner, reference, inputs, ctx):
    return judge_variant(13, learner, reference, inputs, ctx)


def inputs_14(rng):
    return make_inputs(14, rng)


def judge_14(learner, reference, inputs, ctx):
    return judge_variant(14, learner, reference, inputs, ctx)


def inputs_15(rng):
    return make_inputs(15, rng)


def judge_15(learner, reference, inputs, ctx):
    return judge_variant(15, learner, reference, inputs, ctx)
