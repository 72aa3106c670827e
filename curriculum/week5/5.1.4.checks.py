"""Checks of 5.1.4: the training loops 16-20 (see curriculum/lib/week5.py)."""

from curriculum.lib.week5 import PROBE, judge_variant, make_inputs

__all__ = ["PROBE"]


def inputs_16(rng):
    return make_inputs(16, rng)


def judge_16(learner, reference, inputs, ctx):
    return judge_variant(16, learner, reference, inputs, ctx)


def inputs_17(rng):
    return make_inputs(17, rng)


def judge_17(learner, reference, inputs, ctx):
    return judge_variant(17, learner, reference, inputs, ctx)


def inputs_18(rng):
    return make_inputs(18, rng)


def judge_18(learner, reference, inputs, ctx):
    return judge_variant(18, learner, reference, inputs, ctx)


def inputs_19(rng):
    return make_inputs(19, rng)


def judge_19(learner, reference, inputs, ctx):
    return judge_variant(19, learner, reference, inputs, ctx)


def inputs_20(rng):
    return make_inputs(20, rng)


def judge_20(learner, reference, inputs, ctx):
    return judge_variant(20, learner, reference, inputs, ctx)
