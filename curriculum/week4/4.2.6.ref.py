"""Reference solution of 4.2.6 (Practice Set 6: Activation layers — 10 declarations)."""

import torch.nn as nn

activation_1 = nn.ReLU()  # standard ReLU
activation_2 = nn.LeakyReLU(0.01)  # leaky ReLU
activation_3 = nn.Sigmoid()  # sigmoid activation
activation_4 = nn.Tanh()  # hyperbolic tangent
activation_5 = nn.GELU()  # Gaussian Error Linear Unit
activation_6 = nn.Softmax(dim=1)  # softmax normalization
activation_7 = nn.LogSoftmax(dim=1)  # log softmax
activation_8 = nn.ELU(alpha=1.0)  # Exponential Linear Unit
activation_9 = nn.SiLU()  # Swish activation (see errata)
activation_10 = nn.Mish()  # Mish activation
