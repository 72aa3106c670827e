"""Reference solution of 1.1.6 (Practice Set 6: torch.linspace() — 10 variants)."""

import math

import numpy as np
import torch

linspace_1 = torch.linspace(0, 1, 5)
linspace_2 = torch.linspace(-1, 1, 10)
linspace_3 = torch.linspace(0, 100, 50)
linspace_4 = torch.linspace(0, 1, 100)
linspace_5 = torch.linspace(-10, 10, 21)
linspace_6 = torch.linspace(0, 2 * math.pi, 100)
linspace_7 = torch.linspace(1, 2, 11)
linspace_8 = torch.linspace(-100, 100, 200)
linspace_9 = torch.linspace(0, 1, 2)
linspace_10 = torch.linspace(0.5, 1.5, 20)
