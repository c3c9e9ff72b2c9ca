"""Training pictures: the files exist, are valid PNG/PDF, and the same run gives the same bytes."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from symnn.core.errors import SymnnError  # noqa: E402
from symnn.spec.network import Dense, Network  # noqa: E402
from symnn.training.datasets import load_dataset  # noqa: E402
from symnn.training.plots.training import decision_regions, loss_curve, plot_training  # noqa: E402
from symnn.training.train import train  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.fixture(scope="module")
def blobs_run():
    blobs = load_dataset("blobs", n=60, seed=1)
    network = Network(2, [Dense(4, "tanh"), Dense(3)], "softmax_cross_entropy")
    Y = blobs.targets()
    return network, blobs.X, Y, train(network, blobs.X, Y, steps=40, lr=0.5)


def test_png_and_pdf_are_valid_images(tmp_path, blobs_run):
    network, X, Y, result = blobs_run
    written = plot_training(result, network, tmp_path / "run", X, Y)
    assert [p.name for p in written] == ["run.png", "run.pdf"]
    png, pdf = (p.read_bytes() for p in written)
    width, height = png_size(png)
    assert width > 1000 and 400 < height < width  # two panels side by side
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5000


def test_saving_twice_gives_identical_bytes(tmp_path, blobs_run):
    network, X, Y, result = blobs_run
    for name in ("a", "b"):
        plot_training(result, network, tmp_path / name, X, Y)
    for suffix in (".png", ".pdf"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_loss_curve_alone_for_regression(tmp_path):
    network = Network(1, [Dense(2, "tanh"), Dense(1)], "mse")
    X = np.linspace(-1, 1, 9)[:, None]
    result = train(network, X, X**2, steps=10, lr=0.1)
    assert result.accuracy is None
    (path,) = plot_training(result, network, tmp_path / "loss.png", X, X**2)
    width, height = png_size(path.read_bytes())
    assert 500 < width < 1000  # one panel
    figure = loss_curve(result)
    assert figure.axes[0].get_yscale() == "log"


def test_decision_regions_colour_the_predicted_classes(tmp_path, blobs_run):
    network, X, Y, result = blobs_run
    figure = decision_regions(network, result.params, X, Y, resolution=20)
    contour = figure.axes[0].collections[0]
    assert contour is not None
    with pytest.raises(SymnnError, match="expected 2 input features, found 3"):
        decision_regions(network, result.params, np.zeros((2, 3)), Y[:2])
    with pytest.raises(SymnnError, match="expected a .png, .pdf or .svg"):
        plot_training(result, network, tmp_path / "x.jpg", X, Y)
