"""The network examples of the ``derivations/`` gallery: each example names the files it produces.

Bundled spec files live in ``examples/`` (shipped inside the package as well), so the gallery, the
README and the tests all start from the same specs.
"""

from __future__ import annotations

from pathlib import Path

from symnn.codegen.element import element_source
from symnn.codegen.matrix import matrix_source
from symnn.engine import derive
from symnn.engine.matrix import derive_matrix
from symnn.gallery.registry import Files, example
from symnn.output.document import figure_files, render_derivation
from symnn.spec.network import Data, Dense, Network
from symnn.spec.specfile import load_spec

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SPEC_DIRS = (PACKAGE_DIR.parent / "examples", PACKAGE_DIR / "bundled_examples")


def bundled_spec(name: str) -> Path:
    """The path of a bundled spec file, from the source tree or the installed package."""
    for folder in SPEC_DIRS:
        path = folder / name
        if path.is_file():
            return path
    raise FileNotFoundError(f"bundled example {name!r} not found in {[str(d) for d in SPEC_DIRS]}")


def _documents(derivation, stem: str = "derivation", **options) -> Files:
    """The LaTeX fragment (the network diagram inline, in TikZ) and the Markdown of a derivation
    (pointing at the same diagram as an SVG beside it)."""
    figure = {"figures": "separate", "figure_stem": stem}
    figure_options = {k: v for k, v in options.items() if k in ("notation", "numeric", "digits")}
    return {
        f"{stem}.tex": render_derivation(derivation, "tex", figures="inline", **options),
        f"{stem}.md": render_derivation(derivation, "md", **figure, **options),
        **figure_files(derivation, "md", figure_stem=stem, **figure_options),
    }


@example(
    "single-neuron",
    "One sigmoid neuron, chain rule by hand",
    "∂L/∂w for a single sigmoid unit with squared error: the shortest chain rule there is, "
    "with numbers for one sample.",
)
def _single_neuron() -> Files:
    net = Network(
        1,
        [Dense(1, "sigmoid", weights=[[0.5]], bias=[0.1])],
        "squared_error",
        name="one sigmoid neuron",
        data=Data([[1.5]], [[1.0]]),
        learning_rate=0.5,
    )
    return {
        **_documents(derive(net, "all", expand=True), numeric=True),
        "gradients.py": element_source(net),
    }


@example(
    "two-two-two",
    "The 2-2-2 sigmoid network, per weight, with numbers",
    "The classic worked example (inputs 0.05, 0.10; targets 0.01, 0.99; rate 0.5, biases fixed): "
    "a hidden and an output weight through the δ terms, every factor's number and the updated "
    "weights, in the per-neuron notation (w1…w8, h1, o1) and in the layered one.",
)
def _two_two_two() -> Files:
    net = load_spec(bundled_spec("two_two_two.toml"))
    chosen = derive(net, ["W1[1,1]", "W2[1,1]"])
    return {
        **_documents(chosen, "neuron", notation="neuron", numeric=True, digits=9),
        **_documents(derive(net, "all"), "layered", numeric=True, digits=9),
        "gradients.py": element_source(net),
    }


@example(
    "three-layer-matrix",
    "A three-layer network in matrix form",
    "Jacobians, the vector chain rule, the δ recursion and the batched gradients of a 3-4-4-2 "
    "tanh network, with the vectorised NumPy code generated from the same rules.",
)
def _three_layer_matrix() -> Files:
    net = Network(
        3,
        [Dense(4, "tanh"), Dense(4, "tanh"), Dense(2, "sigmoid")],
        "binary_cross_entropy",
        name="3-4-4-2 tanh network",
    )
    return {
        **_documents(derive_matrix(net)),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "softmax-cross-entropy",
    "Softmax with cross-entropy, and its Jacobian",
    "A softmax output layer: the full Jacobian diag(s) − s sᵀ at the element level, and how "
    "cross-entropy after softmax collapses to s − y at the matrix level.",
)
def _softmax_cross_entropy() -> Files:
    net = Network(
        2, [Dense(3, "softmax")], "cross_entropy", name="softmax regression with three classes"
    )
    return {
        **_documents(derive(net, "W1[1,1]")),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
    }


@example(
    "residual",
    "A residual block: a + F(a), element and matrix level, with numbers",
    'A skip connection (kind = "add"): each gradient reaching the block\'s input is the sum of '
    "what flows through F and what skips it; the matrix level shows ∂/∂a (a + F(a)) = I + J_F. "
    "With numbers for one sample and the vectorised NumPy assembled from the layers' rules.",
)
def _residual() -> Files:
    net = load_spec(bundled_spec("residual.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "tied-autoencoder",
    "A tied autoencoder: one weight used twice",
    "The decoder reads the encoder's weights transposed (weights_from, transpose), so W¹'s "
    "gradient is the sum over its two uses, at the element level (with numbers) and in matrix "
    "form, δ¹ xᵀ + a¹ δ²ᵀ.",
)
def _tied_autoencoder() -> Files:
    net = load_spec(bundled_spec("tied_autoencoder.toml"))
    return {
        **_documents(derive(net, "W1"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "embedding-bag",
    "An embedding-bag classifier: a lookup table's gradient is a scatter-add",
    'Token indices in, the mean of their rows of E¹ (kind = "embedding", bag = "mean"), then '
    "softmax: ∂L/∂E¹ adds each position's gradient into the row of its token, so the token that "
    "occurs twice gets two shares. With numbers for one sample and the vectorised NumPy "
    "(numpy.add.at).",
)
def _embedding_bag() -> Files:
    net = load_spec(bundled_spec("embedding_bag.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "dropout-mlp",
    "Dropout in an MLP: a fixed mask, inverted scaling",
    "p is the drop probability (PyTorch's), q = 1 − p; a fixed mask drops hidden unit 2 and the "
    "kept units are scaled by 1/q, so the gradient going back is (∂L/∂a) ⊙ m / q and every "
    "weight into the dropped unit gets 0. With numbers and the vectorised NumPy.",
)
def _dropout_mlp() -> Files:
    net = load_spec(bundled_spec("dropout_mlp.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }
