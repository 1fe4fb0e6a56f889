"""PyTorch twins of Nabla's containers, with the child names of CONTRACTS §2, shared by the fixture scripts."""
import torch
import torch.nn as nn


class Concat(nn.Module):
    """Branches "0", "1", ... on the same input, concatenated along channels."""

    def __init__(self, branches):
        super().__init__()
        for i, b in enumerate(branches):
            self.add_module(str(i), b)

    def forward(self, x):
        return torch.cat([m(x) for m in self.children()], 1)


class Residual(nn.Module):
    """Body layers "0", "1", ... and an optional "shortcut" (identity when absent)."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        for i, b in enumerate(body):
            self.add_module(str(i), b)
        self.n = len(body)
        self.shortcut = shortcut

    def forward(self, x):
        y = x
        for i in range(self.n):
            y = getattr(self, str(i))(y)
        return y + (self.shortcut(x) if self.shortcut is not None else x)
