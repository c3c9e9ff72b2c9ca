"""The network examples of the ``derivations/`` gallery: each example names the files it produces.

Bundled spec files live in ``examples/`` (shipped inside the package as well), so the gallery, the
README and the tests all start from the same specs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from symnn.codegen.element import element_source
from symnn.codegen.matrix import matrix_source
from symnn.engine import derive
from symnn.engine.matrix import derive_matrix
from symnn.gallery.registry import Files, example
from symnn.output.document import figure_files, render_derivation
from symnn.spec.network import Network
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
    "with σ′ = σ(1 − σ) derived from 1/(1 + e^(−z)) and numbers for one sample.",
)
def _single_neuron() -> Files:
    net = load_spec(bundled_spec("single_neuron.toml"))
    return {
        **_documents(derive(net, "all", expand=True), numeric=True, activation_proofs=True),
        "gradients.py": element_source(net),
    }


@example(
    "two-two-two",
    "The 2-2-2 sigmoid network, per weight, with numbers",
    "The classic worked example (inputs 0.05, 0.10; targets 0.01, 0.99; rate 0.5, biases fixed): "
    "a hidden and an output weight through the δ terms, every factor's number and the updated "
    "weights, in the per-neuron notation (w1…w8, h1, o1), in Mazur's own conventions (one bias "
    "per layer, E_total = E_o1 + E_o2, each path to a hidden unit worked and summed; every weight) "
    "and in the layered one (with the four fundamental equations BP1–BP4 for this network).",
)
def _two_two_two() -> Files:
    net = load_spec(bundled_spec("two_two_two.toml"))
    chosen = derive(net, ["W1[1,1]", "W2[1,1]"])
    mazur = derive(replace(net, notation="mazur"), "all")
    return {
        **_documents(chosen, "neuron", notation="neuron", numeric=True, digits=9),
        **_documents(mazur, "mazur", notation="mazur", numeric=True, digits=9),
        **_documents(derive(net, "all"), "layered", numeric=True, digits=9, equations=True),
        "gradients.py": element_source(net),
    }


@example(
    "three-layer-matrix",
    "A three-layer network in matrix form",
    "Jacobians, the vector chain rule, the δ recursion and the batched gradients of a 3-4-4-2 "
    "tanh network (tanh′ and σ′ derived from their definitions first), the four fundamental "
    "equations BP1–BP4 derived, boxed and written out for it, with the vectorised NumPy code "
    "generated from the same rules.",
)
def _three_layer_matrix() -> Files:
    net = load_spec(bundled_spec("three_layer_tanh.toml"))
    return {
        **_documents(derive_matrix(net), activation_proofs=True, equations=True),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "softmax-cross-entropy",
    "Softmax with cross-entropy, and its Jacobian",
    "A softmax output layer: the full Jacobian diag(s) − s sᵀ at the element level, carried "
    "through to δ = a − y (−y/a substituted, the targets summing to one), and the same collapse "
    "to s − y at the matrix level.",
)
def _softmax_cross_entropy() -> Files:
    net = load_spec(bundled_spec("softmax_three_classes.toml"))
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
    "occurs twice gets two shares; in matrix form ∂L/∂E¹ = Sᵀ 1 (∂L/∂a¹)ᵀ / T with S the one-hot "
    "rows of the tokens. With numbers for one sample and the vectorised NumPy (numpy.add.at).",
)
def _embedding_bag() -> Files:
    net = load_spec(bundled_spec("embedding_bag.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "dropout-mlp",
    "Dropout in an MLP: a fixed mask, inverted scaling",
    "p is the drop probability (PyTorch's), q = 1 − p; a fixed mask drops hidden unit 2 and the "
    "kept units are scaled by 1/q, so the gradient going back is (∂L/∂a) ⊙ m / q and every "
    "weight into the dropped unit gets 0; the matrix form shows δ ⊙ m / q. With numbers and the "
    "vectorised NumPy.",
)
def _dropout_mlp() -> Files:
    net = load_spec(bundled_spec("dropout_mlp.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "rnn",
    "An Elman RNN through time: BPTT, element and matrix level, with numbers",
    "h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) over T = 3 steps (PyTorch's nn.RNN), the "
    "squared error summed over the steps: ∂L/∂h_t gathers the output's gradient at t and "
    "W_hhᵀ δ_{t+1}; the shared weights' gradients are sums over t; the matrix level shows "
    "∂h_t/∂h_{t−1} = diag(f'(z_t)) W_hh and its product over steps. With numbers for one sample.",
)
def _rnn() -> Files:
    net = load_spec(bundled_spec("rnn.toml"))
    return {
        **_documents(derive(net, ["Whh1[1,2]", "Wih1[1,1]"]), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


def _conv_variant(stride: int, padding: int) -> Network:
    """The bundled 4×4 convolution at another stride and padding, targets to match its outputs."""
    import tomllib

    from symnn.spec.specfile import network_from_dict

    spec = tomllib.loads(bundled_spec("conv_worked.toml").read_text(encoding="utf-8"))
    spec["layers"][0] |= {"stride": stride, "padding": padding}
    side = (4 + 2 * padding - 2) // stride + 1
    targets = [round(((3 * k) % 7) / 2 - 1, 2) for k in range(side * side)]
    spec["data"]["y"] = [targets]
    spec["name"] = f"a 2×2 convolution over a 4×4 image, stride {stride}, padding {padding}"
    return network_from_dict(spec)


@example(
    "conv2d-worked",
    "A 2×2 convolution over a 4×4 image, every number written out",
    'One conv2d layer (kind = "conv2d") at stride 1 and 2, without and with zero padding: every '
    "output, every δ, and each kernel weight's gradient as the sum over every position that uses "
    "it, with the numbers of one sample and the weights after one step.",
)
def _conv2d_worked() -> Files:
    files: Files = {}
    for stride, padding in ((1, 0), (2, 0), (1, 1), (2, 1)):
        net = _conv_variant(stride, padding)
        stem = f"stride{stride}" + (f"-padding{padding}" if padding else "")
        files |= _documents(derive(net, "all"), stem, numeric=True)
    files["gradients_matrix.py"] = matrix_source(_conv_variant(2, 1))
    return files


@example(
    "conv1d",
    "A 1-D convolution",
    'Two 3-tap filters over a sequence (kind = "conv1d"), flattened into a read-out: the '
    "kernel gradients at the element level and in matrix form (a correlation of the input "
    "with δ; the input's gradient a full convolution with the flipped kernel), and the "
    "vectorised NumPy.",
)
def _conv1d() -> Files:
    net = load_spec(bundled_spec("conv1d.toml"))
    return {
        **_documents(derive(net, "W1")),
        **_documents(derive_matrix(net), "matrix"),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "lstm",
    "An LSTM through time, element and matrix level, with numbers",
    "PyTorch's LSTM (gate blocks i, f, g, o; two biases) over T = 2 steps, its last state read "
    "out: the element-level chain rule for one recurrent weight through the gates and the cell "
    "(∂L/∂c_t gets ∂L/∂c_{t+1} ⊙ f_{t+1}), with numbers; the matrix level step by step (the "
    "gates, δ_t stacking the gates' blocks, the shared weights' gradients as sums over t); and "
    "the vectorised NumPy loop.",
)
def _lstm() -> Files:
    net = load_spec(bundled_spec("lstm.toml"))
    return {
        **_documents(derive(net, "Whh1[2,1]"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "gru",
    "A GRU through time, element and matrix level, with numbers",
    "PyTorch's GRU (blocks r, z, n; the reset gate applied after the hidden matmul; Cho et al. "
    "2014's, before it, is reset = 'before') over T = 2 steps, its last state read out: the "
    "chain rule for one recurrent weight of the candidate, with numbers; the matrix level step "
    "by step (∂L/∂h_t also gets ∂L/∂h_{t+1} ⊙ ζ_{t+1} directly); and the vectorised NumPy loop.",
)
def _gru() -> Files:
    net = load_spec(bundled_spec("gru.toml"))
    return {
        **_documents(derive(net, "Whh1[3,1]"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "cnn",
    "A CNN classifier: conv2d + max-pool + dense softmax",
    "Two 2×2 filters with ReLU, 2×2 max-pooling (the gradient goes to each window's first "
    "arg-max; the numbers show which entry won) and a softmax read-out with cross-entropy, "
    "at the element level with numbers and in matrix form, with the vectorised NumPy.",
)
def _cnn() -> Files:
    net = load_spec(bundled_spec("cnn.toml"))
    return {
        **_documents(derive(net, ["W1[1,1,1,1]", "b1[1]"]), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "layernorm",
    "Layer normalisation: through μ, σ² and x̂, then the closed form",
    "A layernorm after a dense layer: the element level goes through the row's mean μ, its "
    "biased variance σ² and the normalised x̂ by name, with numbers for one sample; the matrix "
    "level collects the three paths into ∂L/∂x = (1/d)(σ² + ε)^(−½)[d ∂L/∂x̂ − Σ ∂L/∂x̂ − x̂ "
    "Σ(∂L/∂x̂ ⊙ x̂)], checked against the element level.",
)
def _layernorm() -> Files:
    net = load_spec(bundled_spec("layernorm.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "attention",
    "Causal self-attention with two heads",
    "Scaled dot-product self-attention over a (T, d) = (2, 2) sequence block: q, k, v, the "
    "scores s, the row-wise softmax p (causal: step 1 sees only itself) and o as named "
    "quantities, with numbers; in matrix form dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − "
    "rowsum(dP ⊙ P)), dQ = τ dS K, dK = τ dSᵀ Q for each head, and the output projection.",
)
def _attention() -> Files:
    net = load_spec(bundled_spec("attention.toml"))
    return {
        **_documents(derive(net, ["Wq1[1,1]", "Wk1[2,1]", "Wv1[1,2]", "Wo1"]), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }


@example(
    "batchnorm",
    "Batch normalisation over a batch of three, the coupling written out",
    "Batch normalisation in training mode, with the batch as an axis of the block "
    "(input_shape = [B, d]): each feature's μ and σ² are taken over the three examples, so every "
    "example's gradient reaches every other's input; then a layernorm per example. With numbers, "
    "and the closed form over each column at the matrix level.",
)
def _batchnorm() -> Files:
    net = load_spec(bundled_spec("batchnorm.toml"))
    return {
        **_documents(derive(net, "all"), numeric=True),
        **_documents(derive_matrix(net), "matrix"),
        "gradients.py": element_source(net),
        "gradients_matrix.py": matrix_source(net),
    }
