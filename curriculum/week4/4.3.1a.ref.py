"""Reference solution of 4.3.1a (LinearWithStats, as the seed writes it)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class LinearWithStats(nn.Module):
    """
    Linear layer that tracks and reports statistics:
    - Input/output statistics (mean, std, min, max)
    - Weight and gradient norms
    - Activation patterns
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()

        # Initialize linear layer
        self.linear = nn.Linear(in_features, out_features, bias=bias)

        # Initialize statistics tracking variables
        self.register_buffer('input_mean_running', torch.zeros(1))
        self.register_buffer('input_std_running', torch.ones(1))
        self.register_buffer('output_mean_running', torch.zeros(1))
        self.register_buffer('output_std_running', torch.ones(1))
        self.register_buffer('num_batches_tracked', torch.tensor(0, dtype=torch.long))

        # Register buffers for running statistics
        self.momentum = 0.1
        self.input_stats = {'mean': [], 'std': [], 'min': [], 'max': []}
        self.output_stats = {'mean': [], 'std': [], 'min': [], 'max': []}
        self.weight_norms = []
        self.grad_norms = []

    def forward(self, x):
        # Compute linear transformation
        output = self.linear(x)

        # Update input statistics
        if self.training:
            with torch.no_grad():
                input_mean = x.mean()
                input_std = x.std()
                input_min = x.min()
                input_max = x.max()

                # Update running statistics in place: the buffers keep their (1,) shape, so a
                # trained layer's state_dict loads into a fresh one
                if self.num_batches_tracked == 0:
                    self.input_mean_running.fill_(input_mean)
                    self.input_std_running.fill_(input_std)
                else:
                    self.input_mean_running.mul_(1 - self.momentum).add_(self.momentum * input_mean)
                    self.input_std_running.mul_(1 - self.momentum).add_(self.momentum * input_std)

                # Store batch statistics
                self.input_stats['mean'].append(input_mean.item())
                self.input_stats['std'].append(input_std.item())
                self.input_stats['min'].append(input_min.item())
                self.input_stats['max'].append(input_max.item())

        # Update output statistics
        if self.training:
            with torch.no_grad():
                output_mean = output.mean()
                output_std = output.std()
                output_min = output.min()
                output_max = output.max()

                # Update running statistics (in place)
                if self.num_batches_tracked == 0:
                    self.output_mean_running.fill_(output_mean)
                    self.output_std_running.fill_(output_std)
                else:
                    self.output_mean_running.mul_(1 - self.momentum).add_(self.momentum * output_mean)
                    self.output_std_running.mul_(1 - self.momentum).add_(self.momentum * output_std)

                # Store batch statistics
                self.output_stats['mean'].append(output_mean.item())
                self.output_stats['std'].append(output_std.item())
                self.output_stats['min'].append(output_min.item())
                self.output_stats['max'].append(output_max.item())

                # Track weight norms
                weight_norm = torch.norm(self.linear.weight)
                self.weight_norms.append(weight_norm.item())

                # Track gradient norms (if available)
                if self.linear.weight.grad is not None:
                    grad_norm = torch.norm(self.linear.weight.grad)
                    self.grad_norms.append(grad_norm.item())

                self.num_batches_tracked += 1

        # Return output
        return output

    def get_statistics(self):
        """Return current statistics as dictionary"""
        # Return comprehensive statistics
        stats = {
            'input_stats': {
                'running_mean': self.input_mean_running.item(),
                'running_std': self.input_std_running.item(),
                'batch_means': self.input_stats['mean'][-10:],  # Last 10 batches
                'batch_stds': self.input_stats['std'][-10:]
            },
            'output_stats': {
                'running_mean': self.output_mean_running.item(),
                'running_std': self.output_std_running.item(),
                'batch_means': self.output_stats['mean'][-10:],
                'batch_stds': self.output_stats['std'][-10:]
            },
            'weight_norm': self.weight_norms[-1] if self.weight_norms else 0,
            'recent_grad_norms': self.grad_norms[-10:] if self.grad_norms else [],
            'num_batches': self.num_batches_tracked.item()
        }
        return stats

    def reset_statistics(self):
        """Reset all tracked statistics"""
        # Reset all running statistics
        self.input_mean_running.zero_()
        self.input_std_running.fill_(1)
        self.output_mean_running.zero_()
        self.output_std_running.fill_(1)
        self.num_batches_tracked.zero_()

        self.input_stats = {'mean': [], 'std': [], 'min': [], 'max': []}
        self.output_stats = {'mean': [], 'std': [], 'min': [], 'max': []}
        self.weight_norms = []
        self.grad_norms = []
