"""Scenarios for 03_training_loop/checkpoint: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_checkpoint.py, which rebuilds the models with the builders below. The files
the submission writes are read back here, with torch.load(weights_only=True), and observed as
data. A scenario whose save wrote no file, or no dict, stops there: its check says so."""

import pathlib

import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import explain, manual_seed
from grader.observe import scenario

PLAIN_DATA = (
    "the checkpoint does not load with torch.load(path, weights_only=True): save state_dict()s "
    "and plain numbers, not whole modules or optimizers (did you forget the () of state_dict()?)"
)
MAP_LOCATION = (
    "pass map_location to torch.load: a checkpoint saved on a GPU must load on a CPU-only machine "
    "(torch.load(path, map_location=map_location, weights_only=True))"
)
LOAD_RULES = {
    r"deserialize object on a CUDA device": MAP_LOCATION,
    r"Weights only load failed": PLAIN_DATA,
}


def model(seed, device="cpu"):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).to(device)


def adam(net, lr=0.01):
    return torch.optim.Adam(net.parameters(), lr=lr)


def batches(seed, steps, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(6, 4, generator=g).to(device), torch.randn(6, 2, generator=g).to(device))
            for _ in range(steps)]


def train(net, opt, data):
    """A plain training loop, run before saving and after loading; returns the losses."""
    net.train()
    losses = []
    for x, y in data:
        opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    return losses


def trained(seed, steps=2, device="cpu"):
    net = model(seed, device)
    opt = adam(net)
    train(net, opt, batches(seed + 1000, steps, device))
    return net, opt


class _Payload:
    """Unpickling this runs Path.touch(marker): a harmless stand-in for malicious code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _save(kata, path, net, opt, epoch):
    kata.save_checkpoint(path, net, opt, epoch)
    return {"written": pathlib.Path(path).is_file(), "path": str(path)}


def _load(kata, path, net, opt, map_location="cpu"):
    with explain(LOAD_RULES):
        return kata.load_checkpoint(path, net, opt, map_location=map_location)


def _read_back(path):
    """The checkpoint as torch.load(weights_only=True) reads it, and what kind of object it is."""
    with explain({r"Weights only load failed|weights_only|Unpickl": PLAIN_DATA}):
        data = torch.load(path, map_location="cpu", weights_only=True)
    return data, {"is_dict": isinstance(data, dict), "type": type(data).__name__}


def _model_state(net):
    return dict(net.state_dict())


def _optimizer_state(opt):
    """Per-parameter state (Adam's step and running averages) and each group's learning rate."""
    saved = opt.state_dict()
    return {"state": {int(index): dict(state) for index, state in saved["state"].items()},
            "lrs": [group["lr"] for group in saved["param_groups"]]}


@scenario
def checkpoint_is_plain_data(kata, tmp_path):
    net, opt = trained(1)
    path = tmp_path / "checkpoint.pt"
    saved = _save(kata, path, net, opt, 3)
    if not saved["written"]:
        return {"saved": saved}
    return {"saved": saved, "read": _read_back(path)[1]}


@scenario
def restores_the_model(kata, tmp_path):
    net, opt = trained(2)
    path = tmp_path / "model.pt"
    saved = _save(kata, path, net, opt, 1)
    if not saved["written"]:
        return {"saved": saved}
    fresh = model(99)
    fresh_params = list(fresh.parameters())
    _load(kata, path, fresh, adam(fresh))
    return {"saved": saved, "state": _model_state(fresh),
            "same_parameters": all(a is b for a, b in zip(fresh.parameters(), fresh_params))}


@scenario
def returns_the_saved_epoch(kata, tmp_path, epoch):
    net, opt = trained(3)
    path = str(tmp_path / f"epoch{epoch}.pt")
    saved = _save(kata, path, net, opt, epoch)
    if not saved["written"]:
        return {"saved": saved}
    fresh = model(4)
    return {"saved": saved, "result": _load(kata, path, fresh, adam(fresh))}


@scenario
def restores_the_optimizer(kata, tmp_path):
    net, opt = trained(5, steps=3)
    path = tmp_path / "opt.pt"
    saved = _save(kata, path, net, opt, 2)
    if not saved["written"]:
        return {"saved": saved}
    fresh = model(6)
    fresh_opt = adam(fresh, lr=0.5)
    _load(kata, path, fresh, fresh_opt)
    return {"saved": saved, "optimizer": _optimizer_state(fresh_opt)}


@scenario
def resuming_is_bit_identical(kata, tmp_path, before, after):
    data = batches(7 + before, before + after)
    first = model(8)
    first_opt = adam(first)
    train(first, first_opt, data[:before])
    path = tmp_path / "resume.pt"
    saved = _save(kata, path, first, first_opt, before)
    if not saved["written"]:
        return {"saved": saved}
    resumed = model(123)  # a different initialization, and a different learning rate
    resumed_opt = adam(resumed, lr=0.3)
    _load(kata, path, resumed, resumed_opt)
    losses = train(resumed, resumed_opt, data[before:])
    return {"saved": saved, "losses": losses, "state": _model_state(resumed)}


@scenario
def refuses_to_run_code_from_the_file(kata, tmp_path):
    net, opt = trained(9)
    path = tmp_path / "tampered.pt"
    saved = _save(kata, path, net, opt, 1)
    if not saved["written"]:
        return {"saved": saved}
    data, read = _read_back(path)
    if not read["is_dict"]:
        return {"saved": saved, "read": read}
    marker = tmp_path / "code_ran"
    data["extra"] = _Payload(marker)
    torch.save(data, path)
    fresh = model(10)
    refused = None
    try:
        kata.load_checkpoint(path, fresh, adam(fresh), map_location="cpu")
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any refusal is observed; the check judges which
        refused = f"{type(err).__name__}: {err}"
    return {"saved": saved, "read": read, "code_ran": marker.exists(), "refused": refused}


@scenario
def map_location_for_a_gpu_checkpoint(kata, tmp_path, monkeypatch):
    net, opt = trained(11)
    path = tmp_path / "from_gpu.pt"
    saved = _save(kata, path, net, opt, 5)
    if not saved["written"]:
        return {"saved": saved}
    data, read = _read_back(path)
    if not read["is_dict"]:
        return {"saved": saved, "read": read}
    with monkeypatch.context() as patch:  # write it as a GPU machine would: storages tagged cuda:0
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        torch.save(data, path)
    fresh = model(12)
    epoch = _load(kata, path, fresh, adam(fresh), map_location="cpu")
    return {"saved": saved, "read": read, "epoch": epoch, "state": _model_state(fresh),
            "parameter_devices": [p.device.type for p in fresh.parameters()]}


@scenario
def refuses_a_different_architecture(kata, tmp_path):
    net, opt = trained(13)
    path = tmp_path / "other.pt"
    saved = _save(kata, path, net, opt, 1)
    if not saved["written"]:
        return {"saved": saved}
    manual_seed(14)
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))  # no BatchNorm
    raised = None
    try:
        kata.load_checkpoint(path, other, adam(other), map_location="cpu")
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any clear refusal will do
        raised = type(err).__name__
    return {"saved": saved, "raised": raised}


@scenario
def saving_leaves_the_model_alone(kata, tmp_path, device):
    net, opt = trained(15, device=device)
    saved = _save(kata, tmp_path / "keep.pt", net, opt, 1)
    return {"saved": saved, "state": _model_state(net)}


@scenario
def gpu_checkpoint_loads_on_cpu(kata, tmp_path):
    net, opt = trained(16, device="cuda")
    path = tmp_path / "cuda.pt"
    saved = _save(kata, path, net, opt, 4)
    if not saved["written"]:
        return {"saved": saved}
    fresh = model(17, "cpu")
    fresh_opt = adam(fresh, lr=0.5)
    epoch = _load(kata, path, fresh, fresh_opt, map_location="cpu")
    return {"saved": saved, "epoch": epoch, "state": _model_state(fresh),
            "optimizer": _optimizer_state(fresh_opt)}


@scenario
def cpu_checkpoint_loads_on_gpu(kata, tmp_path):
    net, opt = trained(18, device="cpu")
    path = tmp_path / "cpu.pt"
    saved = _save(kata, path, net, opt, 2)
    if not saved["written"]:
        return {"saved": saved}
    fresh = model(19, "cuda")
    fresh_opt = adam(fresh, lr=0.5)
    _load(kata, path, fresh, fresh_opt, map_location="cuda")
    torch.cuda.synchronize()
    return {"saved": saved, "state": _model_state(fresh), "optimizer": _optimizer_state(fresh_opt)}
