"""Reference solution of 4.2.7 (Practice Set 7: Regularization layers — 10 declarations)."""

import torch.nn as nn

dropout_1 = nn.Dropout(0.5)  # standard dropout
dropout_2 = nn.Dropout(0.2)  # light dropout
dropout_3 = nn.Dropout2d(0.1)  # 2D dropout
dropout_4 = nn.Dropout(0.8)  # heavy dropout
dropout_5 = nn.AlphaDropout(0.5)  # SELU compatible dropout
dropout_6 = nn.Dropout2d(0.25)  # 2D dropout for conv layers
dropout_7 = nn.Dropout(0.3)  # moderate dropout
dropout_8 = nn.Dropout(p=0.0)  # no dropout (placeholder)
dropout_9 = nn.Dropout3d(0.15)  # 3D dropout
dropout_10 = nn.FeatureAlphaDropout(0.4)  # feature alpha dropout
