# Generated from solutions/05_fine_tuning/replace_head.py by `python -m grader build` (1 to do): replace each NotImplementedError.
"""Kata 05_fine_tuning/replace_head: give a pretrained classifier a new head for new classes.

A pretrained model ends in a linear "head" that maps features to its classes, e.g. 1000 ImageNet
classes. To reuse the model for another task with `num_classes` classes, keep the backbone and
swap the head for a fresh nn.Linear:

    old = getattr(model, attr_name)                       # e.g. model.fc or model.head
    new = nn.Linear(old.in_features, num_classes, ...)    # (num_classes, in_features) weight
    setattr(model, attr_name, new)                        # registers it as a submodule

Pitfalls:
- `old.out_features = num_classes` only edits a number: the weight keeps its old shape.
  Build a new layer.
- in_features comes from the old head (`old.in_features`, or `old.weight.shape[1]`: an
  nn.Linear weight has shape (out_features, in_features), so `weight.shape[0]` is the *old
  number of classes*).
- The new layer must live where the backbone lives: same device (cuda, meta, ...) and same dtype
  (float64, bfloat16, ...). `nn.Linear(...)` alone makes a float32 CPU layer; pass
  `device=` and `dtype=` from the old head's weight.
- Keep the old head's design: a bias if and only if it had one (`old.bias is not None`).
- The new head is trainable (a fresh nn.Linear is), even if the old model was frozen.
- `model.attr_name = new` creates an attribute literally named "attr_name": use setattr.
- New modules start in train mode: give the new head the old head's mode (`new.train(old.training)`)
  so that a model in eval mode stays in eval mode.
- Do not modify the old head: the caller may still hold it.
"""

from torch import nn


def replace_head(model: nn.Module, attr_name: str, num_classes: int) -> nn.Linear:
    """Replace the nn.Linear `model.<attr_name>` with a new one producing `num_classes` outputs.

    Args:
        model: a module whose attribute `attr_name` is an nn.Linear (the classifier head).
        attr_name: the attribute's name, e.g. "head" or "fc".
        num_classes: the number of outputs of the new head.

    The new head has the old head's in_features, bias (or none), device, dtype and train/eval
    mode, fresh default-initialised weights, and requires_grad True. It is installed on `model`
    under `attr_name`; nothing else in `model` changes, nor does the old head.

    Returns the new head.
    """
    # TODO: read the old head with getattr, build a new nn.Linear(in_features, num_classes) with
    # TODO: the old head's bias setting, device and dtype, give it the old head's train/eval mode,
    # TODO: install it with setattr and return it.
    raise NotImplementedError("05_fine_tuning/replace_head: replace_head() is not implemented yet: replace this line with your code")
