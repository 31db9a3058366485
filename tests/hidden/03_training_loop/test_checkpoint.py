"""Hidden tests for 03_training_loop/checkpoint."""

import pathlib

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import assert_equal_tensors, expect, expect_type, explain, manual_seed

PLAIN_DATA = (
    "the checkpoint does not load with torch.load(path, weights_only=True): save state_dict()s "
    "and plain numbers, not whole modules or optimizers (did you forget the () of state_dict()?)"
)
OPTIMIZER = (
    "the optimizer's state was not restored: save optimizer.state_dict() and load it back with "
    "optimizer.load_state_dict(...) into the optimizer you were given (Adam's step count, running "
    "averages and learning rate live there)"
)
MAP_LOCATION = (
    "pass map_location to torch.load: a checkpoint saved on a GPU must load on a CPU-only machine "
    "(torch.load(path, map_location=map_location, weights_only=True))"
)
LOAD_RULES = {
    r"deserialize object on a CUDA device": MAP_LOCATION,
    r"Weights only load failed": PLAIN_DATA,
}


def _model(seed, device="cpu"):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).to(device)


def _adam(model, lr=0.01):
    return torch.optim.Adam(model.parameters(), lr=lr)


def _batches(seed, steps, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(6, 4, generator=g).to(device), torch.randn(6, 2, generator=g).to(device))
            for _ in range(steps)]


def _train(model, opt, batches):
    model.train()
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    return losses


def _trained(seed, steps=2, device="cpu"):
    model = _model(seed, device)
    opt = _adam(model)
    _train(model, opt, _batches(seed + 1000, steps, device))
    return model, opt


def _save(kata, path, model, opt, epoch):
    kata.save_checkpoint(path, model, opt, epoch)
    expect(pathlib.Path(path).is_file(), f"save_checkpoint wrote no file at {path}: torch.save(..., path)")


def _load(kata, path, model, opt, map_location="cpu"):
    with explain(LOAD_RULES):
        return kata.load_checkpoint(path, model, opt, map_location=map_location)


def _read_plain(path):
    """Trusted: the checkpoint as the test reads it (weights_only=True)."""
    with explain({r"Weights only load failed|weights_only|Unpickl": PLAIN_DATA}):
        data = torch.load(path, map_location="cpu", weights_only=True)
    expect(isinstance(data, dict), "save one dict, e.g. {'model': model.state_dict(), "
                                   "'optimizer': optimizer.state_dict(), 'epoch': epoch}, "
                                   f"not a {type(data).__name__}")
    return data


def _compare_state(model, ref, hint, what="the loaded model"):
    mine, want = model.state_dict(), ref.state_dict()
    for name, value in want.items():
        expect(name in mine, f"{what} has no {name!r}")
        assert_equal_tensors(mine[name], value, what=f"{what}'s {name!r}", hint=hint)


def _compare_optimizers(opt, ref, hint):
    mine, want = opt.state_dict(), ref.state_dict()
    expect(len(mine["state"]) == len(want["state"]),
           f"{hint} (the optimizer has state for {len(mine['state'])} parameters, expected "
           f"{len(want['state'])})")
    for index, state in want["state"].items():
        for key, value in state.items():
            got = mine["state"].get(index, {}).get(key)
            expect(got is not None, f"{hint} (no {key!r} for parameter {index})")
            if isinstance(value, torch.Tensor):
                assert_equal_tensors(got, value, what=f"the optimizer's {key!r} of parameter {index}", hint=hint)
    for group, ref_group in zip(mine["param_groups"], want["param_groups"]):
        expect(group["lr"] == ref_group["lr"],
               f"{hint} (the learning rate is {group['lr']}, the saved one was {ref_group['lr']})")


def test_checkpoint_is_plain_data(kata, tmp_path):
    """writes one dict that torch.load(..., weights_only=True) accepts"""
    model, opt = _trained(1)
    path = tmp_path / "checkpoint.pt"
    _save(kata, path, model, opt, 3)
    _read_plain(path)


@pytest.mark.weight(2)
def test_restores_the_model(kata, tmp_path):
    """restores every parameter and buffer (BatchNorm statistics) bit for bit, in place"""
    model, opt = _trained(2)
    path = tmp_path / "model.pt"
    _save(kata, path, model, opt, 1)
    fresh = _model(99)
    fresh_params = list(fresh.parameters())
    _load(kata, path, fresh, _adam(fresh))
    _compare_state(fresh, model, "the model was not restored: save model.state_dict() (parameters "
                                 "and buffers) and load it with model.load_state_dict(...) into "
                                 "the model you were given")
    expect(all(a is b for a, b in zip(fresh.parameters(), fresh_params)),
           "the model's parameters were replaced by new tensors: load_state_dict copies into the "
           "existing ones, which the optimizer also points at")


@pytest.mark.parametrize("epoch", [0, 7])
def test_returns_the_saved_epoch(kata, tmp_path, epoch):
    """returns the saved epoch as an int (string paths work too)"""
    model, opt = _trained(3)
    path = str(tmp_path / f"epoch{epoch}.pt")
    _save(kata, path, model, opt, epoch)
    fresh = _model(4)
    result = _load(kata, path, fresh, _adam(fresh))
    expect_type(result, int, "load_checkpoint's return value",
                hint="return the epoch that was saved, as a plain int (save the int itself, "
                     "not a tensor)")
    expect(result == epoch, f"load_checkpoint returned {result}, but the epoch that was saved is "
                            f"{epoch}: return it unchanged (the caller decides where to resume)")


@pytest.mark.weight(2)
def test_restores_the_optimizer(kata, tmp_path):
    """restores Adam's state (step, running averages) and learning rate"""
    model, opt = _trained(5, steps=3)
    path = tmp_path / "opt.pt"
    _save(kata, path, model, opt, 2)
    fresh = _model(6)
    fresh_opt = _adam(fresh, lr=0.5)
    _load(kata, path, fresh, fresh_opt)
    _compare_optimizers(fresh_opt, opt, OPTIMIZER)


@pytest.mark.weight(3)
@pytest.mark.parametrize("before,after", [(3, 3), (1, 4)])
def test_resuming_is_bit_identical(kata, tmp_path, before, after):
    """train, save, load into a fresh model and optimizer, continue: same as never stopping"""
    batches = _batches(7 + before, before + after)
    straight = _model(8)
    straight_opt = _adam(straight)
    straight_losses = _train(straight, straight_opt, batches)

    first = _model(8)
    first_opt = _adam(first)
    _train(first, first_opt, batches[:before])
    path = tmp_path / "resume.pt"
    _save(kata, path, first, first_opt, before)
    resumed = _model(123)  # a different initialization, and a different learning rate
    resumed_opt = _adam(resumed, lr=0.3)
    _load(kata, path, resumed, resumed_opt)
    resumed_losses = _train(resumed, resumed_opt, batches[before:])

    hint = ("resuming does not reproduce the uninterrupted run: restore the model's state_dict "
            "(parameters and buffers) and the optimizer's state_dict (Adam's step count, running "
            "averages, learning rate)")
    for i, (got, want) in enumerate(zip(resumed_losses, straight_losses[before:])):
        assert_equal_tensors(got, want, what=f"the loss of step {before + i + 1} after resuming", hint=hint)
    _compare_state(resumed, straight, hint, what="the resumed model")


@pytest.mark.weight(2)
def test_refuses_to_run_code_from_the_file(kata, tmp_path):
    """loads with weights_only=True: a checkpoint carrying pickled code is refused"""
    model, opt = _trained(9)
    path = tmp_path / "tampered.pt"
    _save(kata, path, model, opt, 1)
    data = _read_plain(path)
    marker = tmp_path / "code_ran"
    data["extra"] = _Payload(marker)
    torch.save(data, path)
    fresh = _model(10)
    refused = None
    try:
        kata.load_checkpoint(path, fresh, _adam(fresh), map_location="cpu")
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any refusal is right; which one is checked below
        refused = f"{type(err).__name__}: {err}"
    unsafe = ("torch.load ran code stored in the checkpoint: load with weights_only=True, which "
              "accepts only tensors and plain data (never weights_only=False: a checkpoint from "
              "someone else could run anything on your machine)")
    expect(not marker.exists(), unsafe)
    expect(refused is not None and ("Weights only load failed" in refused or "Unpickl" in refused),
           unsafe + (f" (loading raised {refused[:150]})" if refused else ""))


class _Payload:
    """Unpickling this runs Path.touch(marker): a harmless stand-in for malicious code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_map_location_for_a_gpu_checkpoint(kata, tmp_path, monkeypatch):
    """loads a checkpoint written on a GPU when map_location='cpu' is given"""
    model, opt = _trained(11)
    path = tmp_path / "from_gpu.pt"
    _save(kata, path, model, opt, 5)
    data = _read_plain(path)
    with monkeypatch.context() as patch:  # write it as a GPU machine would: storages tagged cuda:0
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        torch.save(data, path)
    fresh = _model(12)
    epoch = _load(kata, path, fresh, _adam(fresh), map_location="cpu")
    expect(epoch == 5, f"load_checkpoint returned {epoch!r}, expected the saved epoch 5")
    _compare_state(fresh, model, MAP_LOCATION)
    for p in fresh.parameters():
        expect(p.device.type == "cpu", "the model's parameters left the CPU: " + MAP_LOCATION)


def test_refuses_a_different_architecture(kata, tmp_path):
    """a checkpoint of another architecture raises instead of loading half of it"""
    model, opt = _trained(13)
    path = tmp_path / "other.pt"
    _save(kata, path, model, opt, 1)
    manual_seed(14)
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))  # no BatchNorm
    raised = None
    try:
        kata.load_checkpoint(path, other, _adam(other), map_location="cpu")
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any clear refusal will do
        raised = err
    expect(raised is not None,
           "a checkpoint from a different model loaded without an error: keep load_state_dict's "
           "default strict=True, so missing or unexpected keys raise instead of being skipped")


def test_saving_leaves_the_model_alone(kata, tmp_path, device):
    """saving changes neither the model nor its device"""
    model, opt = _trained(15, device=device)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    _save(kata, tmp_path / "keep.pt", model, opt, 1)
    for name, value in model.state_dict().items():
        expect(value.device.type == torch.device(device).type,
               f"saving moved the model's {name!r} to {value.device}: do not call model.cpu() "
               "or .to() on the model to save it (state_dict() tensors save from any device)")
        assert_equal_tensors(value, before[name], what=f"the model's {name!r} after saving",
                             hint="saving must not change the model")


@pytest.mark.gpu
def test_gpu_checkpoint_loads_on_cpu(kata, tmp_path):
    """a checkpoint saved from a CUDA model loads into a CPU model with map_location='cpu'"""
    model, opt = _trained(16, device="cuda")
    path = tmp_path / "cuda.pt"
    _save(kata, path, model, opt, 4)
    fresh = _model(17, "cpu")
    fresh_opt = _adam(fresh, lr=0.5)
    epoch = _load(kata, path, fresh, fresh_opt, map_location="cpu")
    expect(epoch == 4, f"load_checkpoint returned {epoch!r}, expected the saved epoch 4")
    for name, value in model.state_dict().items():
        assert_equal_tensors(fresh.state_dict()[name], value.cpu(), what=f"the CPU model's {name!r}",
                             hint=MAP_LOCATION)
    for state in fresh_opt.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and key != "step":
                expect(value.device.type == "cpu", f"the optimizer's {key!r} is on {value.device}: " + MAP_LOCATION)


@pytest.mark.gpu
def test_cpu_checkpoint_loads_on_gpu(kata, tmp_path):
    """a CPU checkpoint loads into a CUDA model and optimizer with map_location='cuda'"""
    model, opt = _trained(18, device="cpu")
    path = tmp_path / "cpu.pt"
    _save(kata, path, model, opt, 2)
    fresh = _model(19, "cuda")
    fresh_opt = _adam(fresh, lr=0.5)
    _load(kata, path, fresh, fresh_opt, map_location="cuda")
    for name, value in model.state_dict().items():
        got = fresh.state_dict()[name]
        expect(got.device.type == "cuda", f"the model's {name!r} left the GPU: load_state_dict copies into the model's own tensors")
        assert_equal_tensors(got, value, what=f"the GPU model's {name!r}", hint=MAP_LOCATION)
    for state in fresh_opt.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and key != "step":
                expect(value.device.type == "cuda", f"the optimizer's {key!r} is on {value.device}, not the GPU: " + OPTIMIZER)
    torch.cuda.synchronize()
