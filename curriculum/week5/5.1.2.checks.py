"""Checks of 5.1.2: the training loops 6-10 (see curriculum/lib/week5.py)."""

from curriculum.lib.week5 import PROBE, judge_variant, make_inputs

__all__ = ["PROBE"]


def inputs_6(rng):
    return make_inputs(6, rng)


def judge_6(learner, reference, inputs, ctx):
    return judge_variant(6, learner, reference, inputs, ctx)


def inputs_7(rng):
    return make_inputs(7, rng)


def judge_7(learner, reference, inputs, ctx):
    return judge_variant(7, learner, reference, inputs, ctx)


def inputs_8(rng):
    return make_inputs(8, rng)


def judge_8(learner, reference, inputs, ctx):
    return judge_variant(8, learner, reference, inputs, ctx)


def inputs_9(rng):
    return make_inputs(9, rng)


def judge_9(learner, reference, inputs, ctx):
    return judge_variant(9, learner, reference, inputs, ctx)


def inputs_10(rng):
    return make_inputs(10, rng)


def judge_10(learner, reference, inputs, ctx):
    return judge_variant(10, learner, reference, inputs, ctx)
