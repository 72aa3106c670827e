"""Reference solution of 1.1.9 (Exercise 1.1 self-check questions)."""

import torch

q1 = torch.zeros(3, 4)
q2 = torch.rand(10)
q3 = torch.arange(10)
q4 = torch.linspace(0, 1, 5)
