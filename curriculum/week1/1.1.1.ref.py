"""Reference solution of 1.1.1 (Practice Set 1: torch.zeros() — 10 variants)."""

import math

import numpy as np
import torch

zeros_1 = torch.zeros(3, 4)
zeros_2 = torch.zeros(2, 3, 4)
zeros_3 = torch.zeros(5)
zeros_4 = torch.zeros(1, 10)
zeros_5 = torch.zeros(10, 1)
zeros_6 = torch.zeros(2, 2, 2, 2)
zeros_7 = torch.zeros(3, 4, dtype=torch.float32)
zeros_8 = torch.zeros(5, 5, dtype=torch.int64)
zeros_9 = torch.zeros(1)
zeros_10 = torch.zeros(8, 8)
