"""Reference solution of 4.3.2a (TimeSeriesPredictor, as the seed writes it)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class TimeSeriesPredictor(nn.Module):
    """
    Neural network for time series prediction:
    - Handle variable sequence lengths
    - Multiple prediction horizons
    - Uncertainty estimation
    """

    def __init__(self, input_features, hidden_dim, output_features, sequence_length):
        super().__init__()

        # Design architecture for time series
        self.input_features = input_features
        self.hidden_dim = hidden_dim
        self.output_features = output_features
        self.sequence_length = sequence_length

        # Consider LSTM/GRU for temporal dependencies
        self.lstm = nn.LSTM(input_features, hidden_dim, batch_first=True, num_layers=2)

        # Add layers for uncertainty estimation
        self.mean_head = nn.Sequential(
            nn.Linear(hidden_dim, hidden_dim // 2),
            nn.ReLU(),
            nn.Linear(hidden_dim // 2, output_features)
        )

        # For uncertainty estimation
        self.std_head = nn.Sequential(
            nn.Linear(hidden_dim, hidden_dim // 2),
            nn.ReLU(),
            nn.Linear(hidden_dim // 2, output_features),
            nn.Softplus()  # Ensure positive std
        )

        # Handle multiple output horizons
        self.horizon_projection = nn.Linear(output_features, output_features)

    def forward(self, x, prediction_steps=1):
        # Process input sequence
        # x shape: (batch, sequence_length, input_features)

        # LSTM processing
        lstm_out, (_hidden, _cell) = self.lstm(x)

        # Use last hidden state for prediction
        last_hidden = lstm_out[:, -1, :]  # (batch, hidden_dim)

        # Generate predictions for specified steps
        predictions = []
        uncertainties = []

        current_hidden = last_hidden
        for _step in range(prediction_steps):
            # Predict mean and std for this step
            mean_pred = self.mean_head(current_hidden)
            std_pred = self.std_head(current_hidden) + 1e-6  # Add small epsilon

            predictions.append(mean_pred)
            uncertainties.append(std_pred)

            # Update hidden state for next prediction (simplified)
            current_hidden = F.relu(self.horizon_projection(mean_pred))
            current_hidden = torch.cat([current_hidden, last_hidden], dim=-1)
            current_hidden = current_hidden[:, :self.hidden_dim]  # Keep same dimension

        # Return predictions and uncertainty estimates
        mean_predictions = torch.stack(predictions, dim=1)  # (batch, prediction_steps, output_features)
        std_predictions = torch.stack(uncertainties, dim=1)   # (batch, prediction_steps, output_features)

        return mean_predictions, std_predictions
