"""Reference solution of 3.2.1 (training vs inference modes)."""

import torch


def training_mode_practice(x, W):
    # Training: gradients needed. W may hold a gradient from an earlier call.
    if W.grad is not None:
        W.grad.zero_()
    y = torch.matmul(W, x)
    loss = y.sum()
    loss.backward()
    return loss


def inference_mode_practice(x, W):
    # Inference: nothing is recorded for autograd.
    with torch.no_grad():
        y = torch.matmul(W, x)
        loss = y.sum()
    return y, loss


def run_model(x, W, training):
    # One code path for both modes: the context manager switches recording on or off.
    with torch.set_grad_enabled(training):
        y = torch.matmul(W, x)
    return y
