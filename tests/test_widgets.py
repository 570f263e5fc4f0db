"""Tests for course_lib.demos (interactive demo + static fallback)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch

from course_lib.demos import forward_marginals_figure, forward_marginals_widget


def toy_factory(name, N):
    """A cosine-like chain that needs nothing from the rest of the library."""
    k = torch.arange(N + 1, dtype=torch.float64)
    power = {"a": 1.0, "b": 2.0}[name]
    alpha = torch.cos(0.5 * torch.pi * (k / N) ** power)
    return alpha, torch.sqrt(1 - alpha**2)


def test_figure_has_one_axis_per_panel():
    data = torch.rand(500, 1)
    fig = forward_marginals_figure(data, schedules=("a", "b"), N=20, fractions=(0, 0.5, 1), chain_factory=toy_factory)
    assert len(fig.axes) == 6
    # the k = N panel of a chain ending in pure noise has titles with alpha_N = 0.000
    assert "0.000" in fig.axes[2].get_title()
    plt.close(fig)


def test_widget_reacts_to_controls():
    ipywidgets = pytest.importorskip("ipywidgets")
    calls = []

    def factory(name, N):
        calls.append((name, N))
        return toy_factory(name, N)

    w = forward_marginals_widget(torch.rand(300, 1), schedules=("a", "b"), N=50, chain_factory=factory)
    assert isinstance(w, ipywidgets.interactive)
    w.children[0].value = "b"
    w.children[1].value = 200
    assert ("b", 200) in calls
    plt.close("all")


def test_bad_inputs():
    with pytest.raises(ValueError):
        forward_marginals_figure(torch.rand(10, 2), chain_factory=toy_factory)
    with pytest.raises(TypeError):
        forward_marginals_figure(torch.rand(10, 1), schedules="a", chain_factory=toy_factory)
    with pytest.raises(ValueError):
        forward_marginals_figure(torch.rand(10, 1), schedules=("a",), fractions=(2.0,), chain_factory=toy_factory)
    with pytest.raises(ValueError):
        forward_marginals_figure(torch.rand(10, 1), schedules=("a",), N=5,
                                 chain_factory=lambda name, N: (torch.ones(3), torch.zeros(3)))
    with pytest.raises(TypeError):
        forward_marginals_widget(torch.rand(10, 1), N=2.5, chain_factory=toy_factory)


def test_default_factory_is_the_ddpm_chain():
    from course_lib.processes import DDPMChain
    from course_lib.demos import default_chain_factory

    alpha, beta = default_chain_factory("cosine", 30)
    chain = DDPMChain("cosine", 30)
    assert torch.allclose(alpha, chain.alphas) and torch.allclose(beta, chain.betas)
    assert alpha.shape == (31,)
