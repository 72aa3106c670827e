"""Reference solution of 4.2.1 (Practice Set 1: Linear layers — 10 declarations)."""

import torch.nn as nn

linear_1 = nn.Linear(784, 256)  # MNIST input to hidden
linear_2 = nn.Linear(256, 128)  # hidden to hidden
linear_3 = nn.Linear(128, 10)  # hidden to output classes
linear_4 = nn.Linear(100, 50)  # general purpose reduction
linear_5 = nn.Linear(50, 100)  # expansion layer
linear_6 = nn.Linear(512, 1024)  # large expansion
linear_7 = nn.Linear(1024, 1)  # regression output
linear_8 = nn.Linear(300, 300)  # same size transformation
linear_9 = nn.Linear(784, 10, bias=False)  # no bias linear
linear_10 = nn.Linear(2048, 512)  # feature reduction
