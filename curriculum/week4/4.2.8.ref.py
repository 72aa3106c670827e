"""Reference solution of 4.2.8 (Practice Set 8: Recurrent layers — 10 declarations)."""

import torch.nn as nn

rnn_1 = nn.LSTM(100, 256, batch_first=True)  # basic LSTM
rnn_2 = nn.LSTM(256, 512, num_layers=2, batch_first=True)  # deep LSTM
rnn_3 = nn.GRU(100, 256, batch_first=True)  # basic GRU
rnn_4 = nn.RNN(100, 256, batch_first=True)  # vanilla RNN
rnn_5 = nn.LSTM(512, 256, dropout=0.2, batch_first=True)  # LSTM with dropout (see errata)
rnn_6 = nn.GRU(256, 128, num_layers=3, batch_first=True)  # deep GRU
rnn_7 = nn.LSTM(300, 600, bidirectional=True, batch_first=True)  # bidirectional LSTM
rnn_8 = nn.GRU(200, 400, bidirectional=True, batch_first=True)  # bidirectional GRU
rnn_9 = nn.RNN(150, 300, num_layers=2, nonlinearity='tanh', batch_first=True)  # tanh RNN
rnn_10 = nn.LSTM(64, 128, proj_size=64, batch_first=True)  # LSTM with projection
