"""Checks of 5.1.1: the training loops 1-5 (see curriculum/lib/week5.py)."""

from curriculum.lib.week5 import PROBE, judge_variant, make_inputs

__all__ = ["PROBE"]


def inputs_1(rng):
    return make_inputs(1, rng)


def judge_1(learner, reference, inputs, ctx):
    return judge_variant(1, learner, reference, inputs, ctx)


def inputs_2(rng):
    return make_inputs(2, rng)


def judge_2(learner, reference, inputs, ctx):
    return judge_variant(2, learner, reference, inputs, ctx)


def inputs_3(rng):
    return make_inputs(3, rng)


def judge_3(learner, reference, inputs, ctx):
    return judge_variant(3, learner, reference, inputs, ctx)


def inputs_4(rng):
    return make_inputs(4, rng)


def judge_4(learner, reference, inputs, ctx):
    return judge_variant(4, learner, reference, inputs, ctx)


def inputs_5(rng):
    return make_inputs(5, rng)


def judge_5(learner, reference, inputs, ctx):
    return judge_variant(5, learner, reference, inputs, ctx)
