"""Scenarios for 06_lora/lora_linear: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_lora_linear.py, which rebuilds the base layers, adapter values and inputs with
the builders below."""


import torch
from torch import nn

from grader.checks import manual_seed
from grader.observe import attempt, scenario


def base_layer(in_f, out_f, seed, bias=True, dtype=torch.float64, device="cpu"):
    manual_seed(seed)
    return nn.Linear(in_f, out_f, bias=bias).to(device=device, dtype=dtype)


def inputs(shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def adapter_values(r, in_f, out_f, seed):
    """Known values for lora_A and lora_B, as if after some training."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(r, in_f, generator=g), torch.randn(out_f, r, generator=g)


def dropout_probe(n):
    """An invertible mix for lora_B (with lora_A = I) and the input, for the dropout check."""
    g = torch.Generator().manual_seed(14)
    eye = torch.eye(n, dtype=torch.float64)
    mix = torch.randn(n, n, generator=g, dtype=torch.float64) + 3 * eye
    return mix, torch.randn(40, n, generator=g, dtype=torch.float64)


def half_precision_values():
    """lora_B and the input for the CUDA half-precision scenario."""
    g = torch.Generator().manual_seed(22)
    return 0.1 * torch.randn(16, 4, generator=g), torch.randn(3, 5, 32, generator=g)


def param_facts(layer, name):
    value = getattr(layer, name)
    return {"parameter": type(value) is nn.Parameter, "type": type(value).__name__,
            "value": value.detach().clone() if isinstance(value, torch.Tensor) else value}


def adapter_facts(layer):
    """lora_A and lora_B as they are now: whether each is an nn.Parameter, and its value."""
    return {name: param_facts(layer, name) for name in ("lora_A", "lora_B")}


def copy_adapters(layer, A, B):
    with torch.no_grad():
        layer.lora_A.copy_(A)
        layer.lora_B.copy_(B)


def _forward_backward(layer, x):
    out = layer(x)
    seen = {"out_requires_grad": out.requires_grad}
    if out.requires_grad:  # without a graph there is nothing to run backward on
        out.pow(2).sum().backward()
    return seen


@scenario
def adapter_shapes(kata, in_f, out_f, r):
    return adapter_facts(kata.LoRALinear(base_layer(in_f, out_f, 0), r=r, alpha=2.0 * r))


@scenario
def starts_equal_to_base(kata):
    layer = kata.LoRALinear(base_layer(12, 7, 1), r=4, alpha=8.0)
    return {"adapters": adapter_facts(layer), "out": attempt(kata, layer, inputs((5, 12), 30))}


@scenario
def lora_A_kaiming_uniform(kata):
    return adapter_facts(kata.LoRALinear(base_layer(64, 16, 2), r=8, alpha=16.0))


@scenario
def base_frozen_adapters_trainable(kata):
    base = base_layer(8, 5, 3)
    layer = kata.LoRALinear(base, r=2)
    return {"base_kept": layer.base is base,
            "base_requires_grad": [base.weight.requires_grad, base.bias.requires_grad],
            "parameters": [(n, p.requires_grad) for n, p in layer.named_parameters()]}


@scenario
def scaling(kata, r, alpha):
    return kata.LoRALinear(base_layer(8, 8, 4), r=r, alpha=alpha).scaling


@scenario
def forward_values(kata, lead):
    layer = kata.LoRALinear(base_layer(6, 5, 5), r=3, alpha=4.5)
    adapters = adapter_facts(layer)
    x = inputs((*lead, 6), 7)

    def run():
        copy_adapters(layer, *adapter_values(3, 6, 5, 6))
        return layer(x)

    return {"adapters": adapters, "out": attempt(kata, run), "x_after": x}


@scenario
def gradients(kata):
    base = base_layer(5, 4, 8)
    layer = kata.LoRALinear(base, r=2, alpha=2.0)
    adapters = adapter_facts(layer)
    x = inputs((3, 5), 31).requires_grad_()

    def run():
        copy_adapters(layer, *adapter_values(2, 5, 4, 9))
        return _forward_backward(layer, x)

    ran = attempt(kata, run)
    return {"adapters": adapters, "run": ran,
            "grads": {"lora_A": layer.lora_A.grad, "lora_B": layer.lora_B.grad,
                      "base_weight": base.weight.grad, "base_bias": base.bias.grad, "x": x.grad}}


@scenario
def follows_base_dtype(kata):
    layer = kata.LoRALinear(base_layer(6, 4, 10, dtype=torch.float64), r=2)
    return {"adapters": adapter_facts(layer), "out": attempt(kata, layer, inputs((3, 6), 32))}


@scenario
def follows_base_device(kata):
    layer = kata.LoRALinear(nn.Linear(6, 4, device="meta"), r=2)
    return {"adapters": adapter_facts(layer),
            "out": attempt(kata, layer, torch.empty(2, 3, 6, device="meta"))}


@scenario
def dropout_off_in_eval(kata):
    layer = kata.LoRALinear(base_layer(8, 6, 11), r=4, alpha=8.0, dropout=0.5)
    adapters = adapter_facts(layer)

    def run():
        copy_adapters(layer, *adapter_values(4, 8, 6, 12))
        layer.eval()
        return layer(inputs((10, 8), 33))

    return {"adapters": adapters, "out": attempt(kata, run)}


@scenario
def dropout_only_on_the_lora_input(kata):
    n = 6
    layer = kata.LoRALinear(base_layer(n, n, 13), r=n, alpha=float(n), dropout=0.5)  # scaling 1
    adapters = adapter_facts(layer)
    mix, x = dropout_probe(n)

    def run():
        copy_adapters(layer, torch.eye(n), mix)
        layer.train()
        manual_seed(15)
        return layer(x)

    return {"adapters": adapters, "out": attempt(kata, run), "x_after": x}


@scenario
def dropout_never_on_the_base_path(kata):
    layer = kata.LoRALinear(base_layer(8, 5, 16), r=2, dropout=0.5)
    layer.train()
    x = inputs((20, 8), 34)
    return {"out": attempt(kata, layer, x), "x_after": x}


@scenario
def merged_matches(kata, bias):
    base = base_layer(7, 5, 17, bias=bias)
    layer = kata.LoRALinear(base, r=3, alpha=6.0)
    adapters = adapter_facts(layer)
    x = inputs((4, 2, 7), 35)

    def run():
        copy_adapters(layer, *adapter_values(3, 7, 5, 18))
        layer.eval()
        merged = layer.merged()
        seen = {"linear": type(merged) is nn.Linear, "type": type(merged).__name__}
        if not seen["linear"]:
            return seen  # the check stops at the type
        return {**seen, "is_base": merged is base, "has_bias": merged.bias is not None,
                "weight": merged.weight, "merged_out": attempt(kata, merged, x),
                "layer_out": attempt(kata, layer, x)}

    return {"adapters": adapters, "merged": attempt(kata, run)}


@scenario
def merged_leaves_the_layer_unchanged(kata):
    layer = kata.LoRALinear(base_layer(6, 6, 19), r=2, alpha=4.0)
    adapters = adapter_facts(layer)
    x = inputs((3, 6), 36)

    def run():
        copy_adapters(layer, *adapter_values(2, 6, 6, 20))
        layer.eval()
        before = {k: v.clone() for k, v in layer.state_dict().items()}
        out_before = layer(x)
        merged = layer.merged()
        return {"state_before": before, "out_before": out_before,
                "state_after": dict(layer.state_dict()), "out_after": layer(x),
                "merged_weight": merged.weight,
                "merged_has_grad_fn": merged.weight.grad_fn is not None}

    return {"adapters": adapters, "run": attempt(kata, run)}


@scenario
def cuda_half_precision(kata):
    layer = kata.LoRALinear(base_layer(32, 16, 21, dtype=torch.float16, device="cuda"),
                            r=4, alpha=8.0)
    adapters = adapter_facts(layer)
    B, x = half_precision_values()
    x = x.to("cuda", torch.float16)

    def run():
        with torch.no_grad():
            layer.lora_B.copy_(B)
        return layer(x)

    def merge():
        merged = layer.merged()
        return {"weight": merged.weight, "out": merged(x)}

    return {"adapters": adapters, "out": attempt(kata, run), "merged": attempt(kata, merge)}
