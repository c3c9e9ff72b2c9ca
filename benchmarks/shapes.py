"""The networks the benchmark measures: one spec per shape name ("8-16-4")."""

from __future__ import annotations

from dataclasses import dataclass

from symnn.spec.network import Dense, Network


@dataclass(frozen=True)
class Shape:
    """A benchmark network: widths, hidden and output activations, loss."""

    name: str
    hidden: str
    output: str
    loss: str

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(int(w) for w in self.name.split("-"))

    def network(self) -> Network:
        widths = self.widths
        layers = [Dense(w, self.hidden) for w in widths[1:-1]] + [Dense(widths[-1], self.output)]
        return Network(widths[0], layers, self.loss)

    @property
    def rules(self) -> str:
        return f"{self.hidden} → {self.output}, {self.loss}"


_CLASSIFIER = ("relu", "identity", "softmax_cross_entropy")
SHAPES = {
    s.name: s
    for s in (
        Shape("2-2-2", "sigmoid", "sigmoid", "squared_error"),  # the textbook worked example
        Shape("2-3-1", "tanh", "identity", "mse"),  # a small regression
        Shape("4-16-3", *_CLASSIFIER),
        Shape("8-16-4", *_CLASSIFIER),
        Shape("64-32-10", *_CLASSIFIER),
        Shape("784-128-10", *_CLASSIFIER),  # MNIST-sized
    )
}


def shape(name: str) -> Shape:
    """A named benchmark shape, or any "a-b-…-k" as a ReLU classifier."""
    if name in SHAPES:
        return SHAPES[name]
    widths = name.split("-")
    if len(widths) < 2 or not all(w.isdigit() and int(w) > 0 for w in widths):
        raise ValueError(f"shape: expected widths such as 8-16-4, found {name!r}")
    return Shape(name, *_CLASSIFIER)
