"""Kata 05_fine_tuning/strategies: choose exactly which parameters train.

Three classic ways to adapt a pretrained classifier, from cheapest to most expensive:

- linear probe: train only the head; the backbone is a fixed feature extractor.
- partial fine-tuning: also train the last `n` blocks of the backbone (the most task-specific
  features), plus the final norm that sits between them and the head.
- full fine-tuning: train everything.

The models look like `Classifier` below (your functions must work for any number of blocks):

    model.backbone.embed      input projection         } frozen unless full fine-tuning
    model.backbone.pos        a bare nn.Parameter      }
    model.backbone.blocks     nn.ModuleList of blocks  block i trains if among the last n
    model.backbone.norm       final LayerNorm          trains when at least one block does
    model.head                nn.Linear                always trains

Rules and pitfalls:
- A strategy decides the flag of *every* parameter: the model may arrive in any state (fully
  frozen, or left by another strategy). Start by freezing everything, then unfreeze exactly what
  the strategy trains. Only flipping the parts you think of leaks the previous state.
- The last n blocks are `blocks[-n:]`, but `blocks[-0:]` is `blocks[0:]`, the *whole* list:
  n == 0 trains no block (it is a linear probe). `blocks[:n]` are the *first* n.
- n larger than the number of blocks trains all blocks (and the final norm and head); the
  embedding and `pos`, which come before the blocks, stay frozen. Negative n is an error
  (raise ValueError).
- Only requires_grad changes: parameters stay the same objects, train/eval mode stays as it was
  (switching modes is the training loop's job).

`set_trainable(module, flag)` is given: it sets requires_grad on every parameter of a module.
"""

import torch
from torch import nn


def set_trainable(module: nn.Module, flag: bool) -> None:
    """Set requires_grad = flag on every parameter of `module`, nested ones included."""
    for p in module.parameters():
        p.requires_grad_(flag)


class Block(nn.Module):
    """A residual block: x + ff(norm(x)). x: (B, d) -> (B, d)."""

    def __init__(self, d: int):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class Backbone(nn.Module):
    """embed -> + pos -> blocks -> norm. x: (B, d_in) -> (B, d)."""

    def __init__(self, d_in: int, d: int, n_blocks: int):
        super().__init__()
        self.embed = nn.Linear(d_in, d)
        self.pos = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        x = self.embed(x) + self.pos  # (B, d)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class Classifier(nn.Module):
    """backbone -> head. x: (B, d_in) -> logits (B, num_classes)."""

    def __init__(self, d_in: int = 8, d: int = 16, n_blocks: int = 4, num_classes: int = 3):
        super().__init__()
        self.backbone = Backbone(d_in, d, n_blocks)
        self.head = nn.Linear(d, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def linear_probe(model: nn.Module) -> None:
    """Make only model.head trainable; every other parameter is frozen. Returns None."""
    ### BEGIN SOLUTION
    # TODO: freeze everything, then unfreeze the head.
    set_trainable(model, False)
    set_trainable(model.head, True)
    ### END SOLUTION


def unfreeze_last(model: nn.Module, n: int) -> None:
    """Train the head, the last `n` blocks and (if n >= 1) the backbone's final norm; freeze the rest.

    Args:
        model: a model laid out like Classifier.
        n: how many blocks to train, counted from the end; 0 means none (a linear probe), more
            than there are means all of them. Raises ValueError if n is negative.

    Returns None.
    """
    ### BEGIN SOLUTION
    # TODO: reject negative n; freeze everything; unfreeze the head, and when n >= 1 the last
    # TODO: n blocks (careful: blocks[-0:] is the whole list) and the final norm.
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    set_trainable(model, False)
    set_trainable(model.head, True)
    if n > 0:
        for block in model.backbone.blocks[-n:]:
            set_trainable(block, True)
        set_trainable(model.backbone.norm, True)
    ### END SOLUTION


def full_finetune(model: nn.Module) -> None:
    """Make every parameter of the model trainable. Returns None."""
    ### BEGIN SOLUTION
    # TODO: unfreeze every parameter.
    set_trainable(model, True)
    ### END SOLUTION
