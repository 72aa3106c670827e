"""Reference solution of 4.3.2c (MultiTaskNetwork, as the seed writes it)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTaskNetwork(nn.Module):
    """
    Multi-task learning network:
    - Shared backbone
    - Task-specific heads
    - Loss balancing mechanisms
    """

    def __init__(self, input_dim, shared_dim, task_configs):
        super().__init__()

        # Create shared backbone
        self.shared_backbone = nn.Sequential(
            nn.Linear(input_dim, shared_dim * 2),
            nn.ReLU(),
            nn.BatchNorm1d(shared_dim * 2),
            nn.Dropout(0.3),
            nn.Linear(shared_dim * 2, shared_dim),
            nn.ReLU(),
            nn.BatchNorm1d(shared_dim)
        )

        # Create task-specific heads
        self.task_heads = nn.ModuleDict()
        self.task_names = list(task_configs.keys())

        for task_name, config in task_configs.items():
            task_head = nn.Sequential(
                nn.Linear(shared_dim, shared_dim // 2),
                nn.ReLU(),
                nn.Dropout(0.2),
                nn.Linear(shared_dim // 2, config['output_dim'])
            )
            self.task_heads[task_name] = task_head

        # Initialize loss balancing parameters
        self.task_weights = nn.Parameter(torch.ones(len(task_configs)))
        self.register_buffer('task_losses', torch.zeros(len(task_configs)))

    def forward(self, x, active_tasks=None):
        # Process through shared backbone
        shared_features = self.shared_backbone(x)  # (batch, shared_dim)

        # Apply task-specific heads
        if active_tasks is None:
            active_tasks = self.task_names

        task_outputs = {}
        for task_name in active_tasks:
            if task_name in self.task_heads:
                task_output = self.task_heads[task_name](shared_features)
                task_outputs[task_name] = task_output

        # Return task-specific outputs
        return task_outputs

    def compute_balanced_loss(self, outputs, targets, loss_functions):
        """Compute weighted multi-task loss"""
        total_loss = 0
        individual_losses = {}

        for i, task_name in enumerate(self.task_names):
            if task_name in outputs and task_name in targets:
                task_loss = loss_functions[task_name](outputs[task_name], targets[task_name])

                # Apply learned weight
                weighted_loss = self.task_weights[i] * task_loss
                total_loss += weighted_loss

                individual_losses[task_name] = task_loss.item()

                # Update running average of task losses
                self.task_losses[i] = 0.9 * self.task_losses[i] + 0.1 * task_loss.item()

        return total_loss, individual_losses

    def update_task_weights(self):
        """Update task weights based on relative loss magnitudes"""
        with torch.no_grad():
            # Inverse relationship: higher loss -> lower weight
            avg_loss = self.task_losses.mean()
            relative_losses = self.task_losses / (avg_loss + 1e-8)

            # Update weights (inverse relationship)
            self.task_weights.data = 1.0 / (relative_losses + 1e-8)

            # Normalize weights
            self.task_weights.data = self.task_weights.data / self.task_weights.data.sum() * len(self.task_names)
