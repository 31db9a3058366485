"""Kata 05_fine_tuning/freeze: freeze and unfreeze a module, and count its parameters.

Fine-tuning starts by deciding what trains. A parameter trains when `p.requires_grad` is True:
autograd then computes its gradient and the optimizer can move it. Freezing means switching that
flag off on *every* parameter of a module, however deeply nested:

    for p in module.parameters():     # walks every submodule, at any depth
        p.requires_grad_(False)

Pitfalls:
- `module.children()` lists only the direct children, not their children, and not the module's
  own parameters (an nn.Linear has no children at all). `module.parameters()` recurses for you.
- `module.requires_grad = False` only sets a new, unused Python attribute on the module: nothing
  reads it. (The *method* `module.requires_grad_(False)` does work.)
- `module.eval()` is not freezing: it switches dropout and batch-norm behaviour, and gradients
  still flow. Freezing must not change train/eval mode.
- Tensors from `module.state_dict()` are detached copies: changing their flag changes nothing.
- Buffers (BatchNorm's running_mean, ...) are not parameters: never make them require grad.

Counting: the size of a model is the number of *elements*, `p.numel()` summed, not the number of
tensors. A parameter shared by two submodules (tied weights) is one parameter: count it once.
`module.parameters()` already yields each parameter once; walking every submodule and its own
parameters would count a shared one twice. Buffers are not parameters: do not count them.

freeze() and unfreeze() return the module they were given (like nn.Module.requires_grad_), so
`head = unfreeze(model.head)` or `freeze(model).eval()` reads naturally.
"""

from torch import nn


def freeze(module: nn.Module) -> nn.Module:
    """Make every parameter of `module` (nested ones too) not trainable: requires_grad False.

    Buffers, parameter values and train/eval mode are left as they are.

    Returns `module` itself.
    """
    ### BEGIN SOLUTION
    # TODO: switch requires_grad off on every parameter (module.parameters() recurses), then
    # TODO: return the module.
    for p in module.parameters():
        p.requires_grad_(False)
    return module
    ### END SOLUTION


def unfreeze(module: nn.Module) -> nn.Module:
    """Make every parameter of `module` (nested ones too) trainable: requires_grad True.

    Buffers stay buffers (they never require grad); values and mode are unchanged.

    Returns `module` itself.
    """
    ### BEGIN SOLUTION
    # TODO: switch requires_grad on for every parameter (not buffers), then return the module.
    for p in module.parameters():
        p.requires_grad_(True)
    return module
    ### END SOLUTION


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """The number of parameter elements in `module`, as a Python int.

    Args:
        module: any nn.Module.
        trainable_only: if True, count only parameters with requires_grad True.

    A parameter shared by several submodules counts once; buffers do not count.
    """
    ### BEGIN SOLUTION
    # TODO: sum p.numel() over module.parameters() (each parameter comes once), skipping
    # TODO: frozen parameters when trainable_only is True.
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
    ### END SOLUTION
