"""Verification as a feature: generated gradients against finite differences and autodiff.

The error reported for a parameter array g against a reference r is
max_i |g_i − r_i| / max(max_i |r_i|, max_i |g_i|, floor): relative to the array's scale, so an entry
that is nearly zero does not turn rounding noise into a failure. The floor is 1e-4·max(1, |L|): a
gradient that is exactly zero (MAE with balanced residuals) is judged against the loss's scale,
where finite differences carry rounding of about 1e-11·|L|.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from symnn.codegen.element import CompiledGradients, compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.errors import SymnnError
from symnn.layers.base import sample_inputs
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network
from symnn.training import oracle

Params = dict[str, np.ndarray]


def relative_error(g: np.ndarray, r: np.ndarray, floor: float = 1e-8) -> float:
    """The worst difference between g and r, relative to their scale (at least ``floor``)."""
    g, r = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
    scale = max(float(np.max(np.abs(r), initial=0.0)), float(np.max(np.abs(g), initial=0.0)), floor)
    return float(np.max(np.abs(g - r), initial=0.0)) / scale


def random_params(network: Network, rng: np.random.Generator) -> Params:
    """Parameters drawn with scale 1/√fan-in, so activations stay in their interesting range."""
    return {
        name: rng.normal(0.0, 1.0 / np.sqrt(shape[-1] if len(shape) == 2 else 1.0), shape)
        for name, shape in network.parameter_shapes()
    }


def random_batch(
    network: Network, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets of the kind the loss expects (probabilities, distributions or ±1)."""
    X = sample_inputs(network, rng, n)  # token indices for an embedding, else normal
    k = network.outputs
    loss = network.loss
    if loss in ("cross_entropy", "softmax_cross_entropy"):
        Y = rng.dirichlet(np.ones(k), size=n)
    elif loss in ("binary_cross_entropy", "binary_cross_entropy_logits"):
        Y = rng.uniform(0.0, 1.0, (n, k))
    elif loss in ("hinge", "perceptron"):
        Y = rng.choice([-1.0, 1.0], size=(n, k))
    else:
        Y = rng.normal(0.0, 1.0, (n, k))
    assert LOSSES[loss].check_targets(Y)
    return X, Y


LossFunction = Callable[[Params], float]
GradientFunction = Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]]
AUTODIFF_HINT = "autograd is not installed; add it with: pip install 'symnn[autodiff]'"
# How many disagreeing entries a row lists (the worst first).
SHOWN_ENTRIES = 5


@dataclass(frozen=True)
class Differences:
    """Central differences with one Richardson step, and the entries that sit on a kink."""

    gradients: Params
    kinks: dict[str, tuple[tuple[int, ...], ...]]


def differences(
    loss: LossFunction, params: Params, names: Sequence[str], eps: float = 1e-5
) -> Differences:
    """Central differences of ``loss(params)`` for every entry of the named parameters.

    D(h) = (L(θ+h) − L(θ−h)) / 2h has error O(h²); (4 D(h/2) − D(h)) / 3 cancels it, leaving
    O(h⁴). With h = eps·max(1, |θ|) = 1e-5 the truncation error is negligible and rounding stays
    near 1e-11, where a plain central difference needs a smaller h and so amplifies rounding.

    An entry is on a kink (ReLU at 0, |r| at 0, …) when the forward and backward one-sided
    slopes differ by about as much at h/2 as at h: on a smooth function their gap halves with h
    (it is h·L″), across a kink it stays the jump in the derivative. There finite differences
    average the two slopes and say nothing about the one a rule chose.
    """
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    centre = loss(params)
    noise = 1e-9 * max(1.0, abs(centre))
    grads, kinks = {}, {}
    for name in names:
        value = params[name]
        grad = np.empty_like(value)
        flagged = []
        for index in np.ndindex(value.shape):
            h = eps * max(1.0, abs(value[index]))
            at = {}
            for step in (h, -h, h / 2, -h / 2):
                moved = value.copy()
                moved[index] += step
                at[step] = loss({**params, name: moved})
            coarse = (at[h] - at[-h]) / (2 * h)
            fine = (at[h / 2] - at[-h / 2]) / h
            grad[index] = (4 * fine - coarse) / 3
            gap_h = ((at[h] - centre) - (centre - at[-h])) / h
            gap_half = ((at[h / 2] - centre) - (centre - at[-h / 2])) / (h / 2)
            if abs(gap_half) * h > noise and abs(gap_half) > 0.75 * abs(gap_h):
                flagged.append(tuple(int(i) for i in index))
        grads[name] = grad
        kinks[name] = tuple(flagged)
    return Differences(grads, kinks)


def finite_differences(
    f: CompiledGradients, params: Params, X: np.ndarray, Y: np.ndarray, names, eps: float = 1e-5
) -> Params:
    """Central differences (see ``differences``) of the batch loss of a gradient function."""
    return differences(lambda p: f.loss(p, X, Y), params, names, eps).gradients


Entry = tuple[tuple[int, ...], float, float]


@dataclass(frozen=True)
class ParameterCheck:
    """One parameter's worst relative errors against each reference, and where they disagree.

    ``disagreeing`` lists (index, checked value, reference value) for the worst entries over the
    tolerance against finite differences; ``kinks`` are the entries on a kink, left out of the
    finite-difference error because there a difference quotient averages two slopes.
    """

    name: str
    finite_difference: float
    autodiff: float | None
    symnn: float | None = None
    disagreeing: tuple[Entry, ...] = ()
    kinks: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class GradientReport:
    """Worst relative error per parameter against each reference, and the verdict.

    ``autodiff_status`` says what happened to the autodiff column: "compared", "skipped: …"
    (autograd missing, with the way to add it) or "not applicable" (a plain function).
    """

    rows: tuple[ParameterCheck, ...]
    tolerance: float
    autodiff_tolerance: float
    loss: float
    autodiff_status: str = "compared"
    subject: str = "symnn's generated gradients"
    reference_loss: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def autodiff_compared(self) -> bool:
        return self.autodiff_status == "compared"

    @property
    def loss_agrees(self) -> bool:
        """The checked function's loss against symnn's (when there is one to compare)."""
        if self.reference_loss is None:
            return True
        return abs(self.loss - self.reference_loss) <= 1e-9 * max(1.0, abs(self.reference_loss))

    @property
    def passed(self) -> bool:
        return self.loss_agrees and all(
            r.finite_difference <= self.tolerance
            and (r.autodiff is None or r.autodiff <= self.autodiff_tolerance)
            and (r.symnn is None or r.symnn <= self.autodiff_tolerance)
            for r in self.rows
        )

    def _columns(self) -> list[tuple[str, str]]:
        columns = [("finite_difference", "vs finite diff.")]
        if any(r.symnn is not None for r in self.rows):
            columns.append(("symnn", "vs symnn"))
        if self.autodiff_compared:
            columns.append(("autodiff", "vs autodiff"))
        return columns

    def table(self, digits: int | None = None) -> str:
        """A plain-text table, a row per parameter, then the entries that disagree, the verdict.

        ``digits`` sets the significant digits of every number (default: 3 for the relative
        errors, 10 for a disagreeing entry, 12 for the loss).
        """
        error, entry, loss = (3, 10, 12) if digits is None else (digits, digits, digits)
        columns = self._columns()
        width = max(10, *(len(r.name) for r in self.rows)) if self.rows else 10
        lines = [f"{'parameter':<{width}} " + " ".join(f"{t:>16}" for _, t in columns)]
        for r in self.rows:
            cells = " ".join(f"{getattr(r, key):>16.{error - 1}e}" for key, _ in columns)
            lines.append(f"{r.name:<{width}} {cells}")
        for r in self.rows:
            for index, got, expected in r.disagreeing:
                lines.append(
                    f"  {r.name}[{', '.join(map(str, index))}]: {got:.{entry}g}, "
                    f"finite differences {expected:.{entry}g}"
                )
            if r.kinks:
                shown = ", ".join(f"[{', '.join(map(str, k))}]" for k in r.kinks[:SHOWN_ENTRIES])
                more = (
                    f" and {len(r.kinks) - SHOWN_ENTRIES} more"
                    if len(r.kinks) > SHOWN_ENTRIES
                    else ""
                )
                lines.append(
                    f"  {r.name}{shown}{more}: on a kink, where finite differences average two "
                    "slopes; left out of that column"
                )
        if not self.loss_agrees:
            lines.append(
                f"loss: {self.loss:.{loss}g}, symnn's loss {self.reference_loss:.{loss}g} (do "
                "both take "
                "the mean over samples, with the same loss?)"
            )
        lines += [f"  {note}" for note in self.notes]
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        """One line: PASS or FAIL with the tolerances of the references actually compared."""
        verdict = "PASS" if self.passed else "FAIL"
        parts = [f"{self.tolerance:.0e} (finite differences)"]
        if any(r.symnn is not None for r in self.rows):
            parts.append(f"{self.autodiff_tolerance:.0e} (symnn's derived gradients)")
        if self.autodiff_compared:
            parts.append(f"{self.autodiff_tolerance:.0e} (autodiff)")
        text = f"{verdict}: {self.subject}; tolerance {', '.join(parts)}"
        if self.notes and not self.passed:
            text += " (at a kink of the activation: see above)"
        if self.autodiff_status.startswith("skipped"):
            text += f"\nautodiff column {self.autodiff_status}"
        return text

    def __repr__(self) -> str:
        worst = max((r.finite_difference for r in self.rows), default=0.0)
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"<GradientReport {verdict}: {self.subject}, {len(self.rows)} parameters, worst "
            f"{worst:.1e} vs finite differences; autodiff {self.autodiff_status.split(':')[0]}>"
        )

    def _repr_markdown_(self) -> str:
        """Jupyter's view: the table as Markdown, then the entries and the verdict."""
        columns = self._columns()
        lines = ["| parameter | " + " | ".join(t for _, t in columns) + " |"]
        lines.append("|---|" + "---:|" * len(columns))
        for r in self.rows:
            cells = " | ".join(f"{getattr(r, key):.2e}" for key, _ in columns)
            lines.append(f"| `{r.name}` | {cells} |")
        notes = self.table().splitlines()[len(self.rows) + 1 :]
        return "\n".join(lines) + "\n\n" + "  \n".join(_escape_markdown(n.strip()) for n in notes)

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON data (``symnn check --json``)."""
        return {
            "subject": self.subject,
            "passed": self.passed,
            "loss": self.loss,
            "reference_loss": self.reference_loss,
            "tolerance": self.tolerance,
            "autodiff_tolerance": self.autodiff_tolerance,
            "autodiff": self.autodiff_status,
            "notes": list(self.notes),
            "parameters": [
                {
                    "name": r.name,
                    "finite_difference": r.finite_difference,
                    "symnn": r.symnn,
                    "autodiff": r.autodiff,
                    "disagreeing": [
                        {"index": list(i), "value": got, "finite_difference": want}
                        for i, got, want in r.disagreeing
                    ],
                    "kinks": [list(k) for k in r.kinks],
                }
                for r in self.rows
            ],
        }


def _escape_markdown(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)


def _disagreeing(
    g: np.ndarray, r: np.ndarray, scale_floor: float, tolerance: float, skip
) -> tuple[Entry, ...]:
    g, r = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
    scale = max(float(np.max(np.abs(r), initial=0.0)), float(np.max(np.abs(g), initial=0.0)))
    scale = max(scale, scale_floor)
    errors = [
        (abs(g[i] - r[i]) / scale, tuple(int(k) for k in i))
        for i in np.ndindex(g.shape)
        if tuple(int(k) for k in i) not in skip
    ]
    bad = sorted((e for e in errors if e[0] > tolerance), key=lambda e: (-e[0], e[1]))
    return tuple((i, float(g[i]), float(r[i])) for _, i in bad[:SHOWN_ENTRIES])


def _rows(
    names: Sequence[str],
    grads: Params,
    numeric: Differences,
    floor: float,
    tolerance: float,
    references: dict[str, Params | None],
) -> tuple[ParameterCheck, ...]:
    rows = []
    for name in names:
        got = np.asarray(grads[name], dtype=float)
        want = np.asarray(numeric.gradients[name], dtype=float)
        if got.shape != want.shape:
            raise SymnnError(f"gradient of {name}: expected shape {want.shape}, found {got.shape}")
        kinks = numeric.kinks.get(name, ())
        keep = np.ones(got.shape, dtype=bool)
        for k in kinks:
            keep[k] = False
        fd = relative_error(got[keep], want[keep], floor) if keep.any() else 0.0
        other = {
            key: None if ref is None else relative_error(got, ref[name], floor)
            for key, ref in references.items()
        }
        rows.append(
            ParameterCheck(
                name,
                fd,
                other.get("autodiff"),
                other.get("symnn"),
                _disagreeing(got, want, floor, tolerance, set(kinks)),
                kinks,
            )
        )
    return tuple(rows)


def _user_gradient(gradient: GradientFunction, params: Params, X, Y) -> tuple[float, Params]:
    try:
        result = gradient(params, X, Y)
        loss, grads = result
    except (TypeError, ValueError) as error:
        raise SymnnError(
            f"gradient=: expected a function (params, X, Y) -> (loss, grads), found one that "
            f"raised {type(error).__name__}: {error}"
        ) from None
    if not isinstance(grads, dict):
        raise SymnnError(f"gradient=: expected grads as a dict of arrays, found {type(grads)}")
    return float(loss), {k: np.asarray(v, dtype=float) for k, v in grads.items()}


def _finite(what: str, values: dict, source: str) -> None:
    for name, value in values.items():
        if not np.all(np.isfinite(value)):
            which = f"{what} of {name}" if name else what
            raise SymnnError(
                f"{which} is not finite ({source}): the outputs saturate at these parameters "
                "and data (a log of 0, an overflow); use smaller weights, or a fused loss "
                "(softmax_cross_entropy, binary_cross_entropy_logits)"
            )


def check_gradients(
    network: Network,
    params: Params | None = None,
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    *,
    gradient: GradientFunction | None = None,
    seed: int = 0,
    samples: int = 8,
    eps: float = 1e-5,
    tolerance: float = 1e-6,
    autodiff_tolerance: float = 1e-10,
    autodiff: bool = True,
    level: str = "element",
) -> GradientReport:
    """Check a network's gradients against finite differences and, if installed, autograd.

    Without ``gradient`` the subject is symnn's generated function. With ``gradient``, your own
    ``(params, X, Y) -> (loss, grads)`` (your backprop) is checked: against finite differences of
    its own loss, against symnn's derived gradients, and against autograd. Parameters and data
    default to the spec's own, else to seeded random draws.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(2, "tanh"), Dense(1)], "mse")
        >>> check_gradients(net).passed
        True
        >>> def mine(params, X, Y):  # hand-written backprop; bug: W1 times N
        ...     import numpy as np
        ...     A1 = np.tanh(X @ params["W1"].T + params["b1"])
        ...     out = A1 @ params["W2"].T + params["b2"]
        ...     D2 = 2 * (out - Y) / len(X)
        ...     D1 = (D2 @ params["W2"]) * (1 - A1**2)
        ...     grads = {"W1": D1.T @ X * len(X), "b1": D1.sum(0), "W2": D2.T @ A1, "b2": D2.sum(0)}
        ...     return float(np.mean((out - Y) ** 2)), grads
        >>> report = check_gradients(net, gradient=mine)
        >>> [(r.name, r.finite_difference < 1e-6) for r in report.rows]
        [('W1', False), ('b1', True), ('W2', True), ('b2', True)]
    """
    rng = np.random.default_rng(seed)
    if params is None:
        given = network.has_given_weights
        params = network.given_params() if given else random_params(network, rng)
    if X is None or Y is None:
        X, Y = network.data.arrays() if network.data else random_batch(network, rng, samples)
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    if level not in ("element", "matrix"):
        raise SymnnError(f"level: expected 'element' or 'matrix', found {level!r}")
    f = compile_matrix_gradients(network) if level == "matrix" else compile_gradients(network)
    # Saturated outputs (a log of 0) give inf or nan; they are reported below, by name, so the
    # warnings NumPy and autograd would print on the way are not wanted.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        names = f.parameter_names
        if gradient is None:
            loss, grads = f(params, X, Y)
            numeric = differences(lambda p: f.loss(p, X, Y), params, names, eps)
            references: dict[str, Params | None] = {}
            reference_loss, subject = None, "symnn's generated gradients"
        else:
            loss, grads = _user_gradient(gradient, params, X, Y)
            missing = [n for n in names if n not in grads]
            if missing:
                raise SymnnError(
                    f"gradient=: expected grads for {', '.join(names)}; "
                    f"missing {', '.join(missing)}"
                )
            user_loss = lambda p: _user_gradient(gradient, p, X, Y)[0]  # noqa: E731
            numeric = differences(user_loss, params, names, eps)
            reference_loss, symnn_grads = f(params, X, Y)
            references = {"symnn": symnn_grads}
            subject = "your gradient function"
        if not autodiff:
            status = "not requested"
        elif oracle.available():
            status = "compared"
            references["autodiff"] = oracle.gradients(network, params, X, Y)[1]
        else:
            status = f"skipped: {AUTODIFF_HINT}"
    _finite("the loss", {"": loss}, subject)
    _finite("the gradient", grads, subject)
    _finite("the finite difference", numeric.gradients, "the loss near these values")
    if references.get("autodiff") is not None:
        _finite("autograd's gradient", references["autodiff"], "autograd")
    floor = 1e-4 * max(1.0, abs(loss))
    rows = _rows(names, grads, numeric, floor, tolerance, references)
    report = GradientReport(
        rows, tolerance, autodiff_tolerance, loss, status, subject, reference_loss
    )
    if not report.passed:
        report = replace(report, notes=kink_notes(network, params, X, Y))
    return report


def kink_notes(network: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> tuple[str, ...]:
    """Weighted inputs that sit exactly on their activation's kink (ReLU at 0, …), by sample.

    There the derivative is a convention (ReLU′(0) = 0) and finite differences straddle the
    kink: they average two one-sided slopes, or see a curvature on one side only, so they
    disagree with any rule by O(h). Found from the engine's own forward values; empty when the
    network is too large for the element level or has no kinked activation.
    """
    from symnn.core.graph import WEIGHTED_INPUT
    from symnn.engine.element import backprop_for
    from symnn.engine.values import Values, point
    from symnn.printing.text import text
    from symnn.rules.activations import ACTIVATIONS

    kinked = {
        i + 1: ACTIVATIONS[layer.activation]
        for i, layer in enumerate(network.layers)
        if getattr(layer, "activation", None) in ACTIVATIONS and ACTIVATIONS[layer.activation].kink
    }
    if not kinked:
        return ()
    try:
        bp = backprop_for(network)
        found: dict[str, list[int]] = {}
        rules: dict[str, str] = {}
        for n, (x, y) in enumerate(zip(X, Y, strict=True), start=1):
            values = Values(bp, point(bp.graph, params, x, y)).values
            for d in bp.graph.definitions:
                if d.kind is WEIGHTED_INPUT and d.layer in kinked and abs(values[d.symbol]) < 1e-12:
                    found.setdefault(text(d.symbol), []).append(n)
                    rules[text(d.symbol)] = kinked[d.layer].kink
    except (SymnnError, KeyError, ValueError):
        return ()
    return tuple(
        f"on a kink: {name} = 0 at sample{'s' if len(at) > 1 else ''} "
        f"{', '.join(map(str, at))}; the derivative there is a convention ({rules[name]}) and "
        "finite differences straddle the kink, so they differ from it by O(h): expected, not a bug"
        for name, at in found.items()
    )


def check_function(
    f: Callable[[Any], float],
    grad_f: Callable[[Any], Any],
    x: Any,
    *,
    eps: float = 1e-5,
    tolerance: float = 1e-6,
) -> GradientReport:
    """Check ``grad_f`` against central differences of ``f`` at ``x``, like a gradcheck.

    ``x`` is an array (or a dict of named arrays, as ``grad_f`` then returns); ``f`` returns a
    number. The report is the same as ``check_gradients``'s: the worst relative error, the entries
    that disagree, and the entries on a kink.

    Examples:
        >>> import numpy as np
        >>> report = check_function(lambda x: np.sum(x**3), lambda x: 3 * x**2, np.array([1., 2.]))
        >>> report.passed
        True
        >>> check_function(lambda x: np.sum(x**3), lambda x: 2 * x**2, np.array([1., 2.])).passed
        False
    """
    named = isinstance(x, dict)
    params = (
        {k: np.asarray(v, dtype=float) for k, v in x.items()}
        if named
        else {"x": np.asarray(x, dtype=float)}
    )

    def unwrap(p: Params) -> Any:
        return p if named else p["x"]

    def value(p: Params) -> float:
        result = np.asarray(f(unwrap(p)), dtype=float)
        if result.size != 1:
            raise SymnnError(f"f: expected a number, found an array of shape {result.shape}")
        return float(result.reshape(()))

    loss = value(params)
    given = grad_f(unwrap(params))
    grads = (
        {k: np.asarray(v, dtype=float) for k, v in given.items()}
        if named
        else {"x": np.asarray(given, dtype=float)}
    )
    names = list(params)
    numeric = differences(value, params, names, eps)
    floor = 1e-4 * max(1.0, abs(loss))
    rows = _rows(names, grads, numeric, floor, tolerance, {})
    return GradientReport(rows, tolerance, 1e-10, loss, "not applicable", "grad_f")
