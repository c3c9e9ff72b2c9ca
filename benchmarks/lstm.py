"""The LSTM row: symnn's matrix-level gradient of an LSTM (input 32, hidden 64, T = 16, the whole
hidden sequence under the squared error), against hand-written NumPy BPTT and PyTorch CPU autograd
(``nn.LSTM``) on the same weights.
"""

from __future__ import annotations

import numpy as np

from benchmarks import torch_backprop
from benchmarks.timing import against_hand, ratio_section, ratios_shown
from symnn import Network
from symnn.layers.lstm import Lstm


def network(inputs: int = 32, hidden: int = 64, steps: int = 16) -> Network:
    return Network(steps * inputs, [Lstm(hidden)], "squared_error", input_shape=[steps, inputs])


def _sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def hand_written(params, X, Y, steps: int = 16, hidden: int = 64):
    """Backprop through time of the LSTM as one writes it by hand (gates i, f, g, o)."""
    Wih, Whh, bih, bhh = (params[k] for k in ("Wih1", "Whh1", "bih1", "bhh1"))
    n, H, T = X.shape[0], hidden, steps
    x = X.reshape(n, T, -1)
    Zx = x @ Wih.T + (bih + bhh)
    h = np.zeros((n, T + 1, H))
    c = np.zeros((n, T + 1, H))
    gates = np.empty((n, T, 4 * H))
    for t in range(T):
        z = Zx[:, t] + h[:, t] @ Whh.T
        gates[:, t, : 2 * H] = _sigmoid(z[:, : 2 * H])
        gates[:, t, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
        gates[:, t, 3 * H :] = _sigmoid(z[:, 3 * H :])
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        c[:, t + 1] = f * c[:, t] + i * g
        h[:, t + 1] = o * np.tanh(c[:, t + 1])
    E = h[:, 1:].reshape(n, -1) - Y
    loss = 0.5 * np.sum(E * E) / n
    dh_out = (E / n).reshape(n, T, H)
    dz = np.empty((n, T, 4 * H))
    dh_next, dc_next = np.zeros((n, H)), np.zeros((n, H))
    for t in range(T - 1, -1, -1):
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        dh = dh_out[:, t] + dh_next
        tc = np.tanh(c[:, t + 1])
        dc = dh * o * (1 - tc**2) + dc_next
        dz[:, t, :H] = dc * g * i * (1 - i)
        dz[:, t, H : 2 * H] = dc * c[:, t] * f * (1 - f)
        dz[:, t, 2 * H : 3 * H] = dc * i * (1 - g**2)
        dz[:, t, 3 * H :] = dh * tc * o * (1 - o)
        dc_next = dc * f
        dh_next = dz[:, t] @ Whh
    flat = dz.reshape(-1, 4 * H)
    db = flat.sum(axis=0)
    grads = {
        "Wih1": flat.T @ x.reshape(-1, x.shape[2]),
        "Whh1": flat.T @ h[:, :-1].reshape(-1, H),
        "bih1": db,
        "bhh1": db.copy(),
    }
    return float(loss), grads


def torch_function(inputs: int = 32, hidden: int = 64, steps: int = 16):
    """``torch.nn.LSTM`` with the same weights, CPU autograd (NumPy in and out)."""
    torch = torch_backprop.torch
    torch.set_num_threads(1)
    module = torch.nn.LSTM(inputs, hidden, batch_first=True).double()
    names = {"weight_ih_l0": "Wih1", "weight_hh_l0": "Whh1", "bias_ih_l0": "bih1"}
    names["bias_hh_l0"] = "bhh1"

    def loss_and_gradients(params, X, Y):
        with torch.no_grad():
            for theirs, ours in names.items():
                getattr(module, theirs).copy_(torch.from_numpy(params[ours]))
        module.zero_grad()
        out, _ = module(torch.from_numpy(X).reshape(X.shape[0], steps, inputs))
        diff = out.reshape(X.shape[0], -1) - torch.from_numpy(Y)
        loss = 0.5 * (diff * diff).sum() / X.shape[0]
        loss.backward()
        grads = {ours: getattr(module, theirs).grad.numpy() for theirs, ours in names.items()}
        return loss.item(), grads

    return loss_and_gradients


def row(batch: int = 32, rounds: int = 5, torch: bool = True) -> dict:
    """Median seconds of each implementation and its ratio to hand-written NumPy."""
    found = against_hand(
        network(), hand_written, torch_function, batch=batch, rounds=rounds, torch=torch
    )
    print(f"  LSTM 32-64 T=16 batch {batch}: {ratios_shown(found)} of hand-written NumPy")
    return found


def markdown(found: dict) -> str:
    """The row as a short results.md section."""
    heading = f"LSTM (input 32, hidden 64, T = 16; batch {found['batch']})"
    return ratio_section(heading, found)
