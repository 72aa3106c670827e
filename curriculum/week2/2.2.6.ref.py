"""Reference solution of 2.2.6 (broadcasting_quiz.py). Each answer is computed, not typed."""

import torch


def _broadcasts(f):
    try:
        f()
    except RuntimeError:
        return False
    return True


x = torch.randn(4, 3)
q1 = tuple((torch.randn(5, 1, 7) + torch.randn(6, 1)).shape)
q2 = _broadcasts(lambda: torch.randn(3, 4) + torch.randn(4, 3))
q3 = tuple((torch.randn(8, 1, 6, 1) * torch.randn(7, 1, 5)).shape)
q4 = tuple((torch.randn(3) + torch.randn(3, 1)).shape)
q5 = _broadcasts(lambda: x - x.mean(dim=1))
q6 = tuple((x - x.mean(dim=1, keepdim=True)).shape)
q7 = _broadcasts(lambda: torch.randn(3, 1).add_(torch.randn(1, 4)))
q8 = tuple(torch.randn(1, 4).expand(3, 4).stride())
q9 = (torch.randn(2, 1, 4) + torch.randn(1, 3, 1)).numel()
q10 = tuple((torch.randn(0, 3) + torch.randn(1, 3)).shape)
