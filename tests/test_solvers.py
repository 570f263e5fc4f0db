import math

import pytest
import torch

from course_lib.device import make_generator
from course_lib.plotting import density_map, gaussian_density_map, plot_density_map
from course_lib.solvers import simulate_sde


def _ou_drift(x, t):
    return -x


def test_simulate_shapes_and_start():
    x0 = torch.zeros(5, 2)
    paths = simulate_sde(_ou_drift, lambda t: 1.0, x0, torch.linspace(0, 1, 11), generator=make_generator(0))
    assert paths.shape == (11, 5, 2)
    assert torch.equal(paths[0], x0)


def test_brownian_motion_variance_is_t():
    # dx = dW from 0: Var x_t = t; the sqrt(dt) scaling makes this hold for any step count
    n = 20000
    for K in (5, 50):
        paths = simulate_sde(lambda x, t: torch.zeros_like(x), lambda t: 1.0, torch.zeros(n, 1),
                             torch.linspace(0, 2, K + 1), generator=make_generator(1))
        var = paths[-1].var().item()
        assert abs(var - 2.0) < 5 * 2.0 * math.sqrt(2 / n)


def test_ou_stationary_variance():
    # dx = -x dt + sqrt(2) dW has stationary law N(0, 1); start from N(0,1) and stay there
    n = 20000
    g = make_generator(2)
    x0 = torch.randn(n, 1, generator=g)
    paths = simulate_sde(_ou_drift, lambda t: math.sqrt(2.0), x0, torch.linspace(0, 3, 301), generator=g)
    assert abs(paths[-1].var().item() - 1.0) < 0.06
    assert abs(paths[-1].mean().item()) < 0.05


def test_decreasing_times_and_noise_off():
    x0 = torch.ones(3, 1)
    # reverse time, no noise: Euler for dx/dt = -x from t=1 to 0: x grows by (1 + dt) per step
    paths = simulate_sde(_ou_drift, lambda t: 1.0, x0, torch.linspace(1, 0, 11), noise=False)
    assert torch.allclose(paths[-1], torch.full((3, 1), 1.1**10), rtol=1e-5)


def test_seeded_reproducible_and_tensor_diffusion():
    x0 = torch.zeros(4, 1)
    times = torch.linspace(0, 1, 6)
    a = simulate_sde(_ou_drift, lambda t: torch.ones_like(t), x0, times, generator=make_generator(3))
    b = simulate_sde(_ou_drift, lambda t: 1.0, x0, times, generator=make_generator(3))
    assert torch.allclose(a, b)


def test_simulate_bad_input():
    with pytest.raises(TypeError):
        simulate_sde("nope", lambda t: 1.0, torch.zeros(2, 1), [0, 1])
    with pytest.raises(ValueError):
        simulate_sde(_ou_drift, lambda t: 1.0, torch.zeros(2), [0, 1])
    with pytest.raises(ValueError):
        simulate_sde(_ou_drift, lambda t: 1.0, torch.zeros(2, 1), [0, 1, 0.5])
    with pytest.raises(ValueError):
        simulate_sde(_ou_drift, lambda t: 1.0, torch.zeros(2, 1), [0.0])
    with pytest.raises(ValueError):
        simulate_sde(lambda x, t: x[:, :0], lambda t: 1.0, torch.zeros(2, 1), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        simulate_sde(_ou_drift, lambda t: float("nan"), torch.zeros(2, 1), [0, 1])
    with pytest.raises(TypeError):
        simulate_sde(_ou_drift, lambda t: "big", torch.zeros(2, 1), [0, 1])
    with pytest.raises(TypeError):
        simulate_sde(_ou_drift, lambda t: 1.0, torch.zeros(2, 1), [0, 1], generator=0)


def test_density_map_matches_gaussian():
    n = 40000
    g = make_generator(4)
    times = torch.linspace(0, 1, 5)
    stds = 0.5 + times
    paths = (torch.randn(n, generator=g)[None, :] * stds[:, None])[:, :, None]
    edges = torch.linspace(-4, 4, 41)
    dens = density_map(paths, edges)
    exact = gaussian_density_map(torch.zeros(5), stds, edges)
    assert dens.shape == (40, 5)
    # bin counts ~ Poisson: relative noise sqrt(1/(n p w)) ; compare with a generous absolute bound
    assert (dens - exact).abs().max().item() < 0.05
    # each column integrates to the fraction inside the edges
    w = (edges[1:] - edges[:-1]).double()[:, None]
    mass = (dens * w).sum(0)
    assert torch.all(mass <= 1 + 1e-6) and mass[0] > 0.999


def test_density_map_bad_input():
    with pytest.raises(TypeError):
        density_map([[1.0]], torch.linspace(0, 1, 3))
    with pytest.raises(ValueError):
        density_map(torch.zeros(3, 4, 2), torch.linspace(0, 1, 3))
    with pytest.raises(ValueError):
        density_map(torch.zeros(3, 4, 1), torch.tensor([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError):
        gaussian_density_map([0.0, 1.0], [1.0], torch.linspace(0, 1, 3))
    with pytest.raises(ValueError):
        gaussian_density_map([0.0], [0.0], torch.linspace(0, 1, 3))


def test_plot_density_map_runs():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    edges = torch.linspace(-1, 1, 5)
    dens = torch.rand(4, 3)
    plot_density_map(ax, dens, torch.linspace(0, 1, 3), edges)
    with pytest.raises(ValueError):
        plot_density_map(ax, torch.rand(3, 3), torch.linspace(0, 1, 3), edges)
    plt.close(fig)


def test_solve_ode_orders_and_directions():
    from course_lib.solvers import solve_ode

    x0 = torch.ones(2, 1, dtype=torch.float64)
    errs = {}
    for method in ("euler", "heun"):
        e = []
        for K in (10, 20):
            x1 = solve_ode(lambda x, t: -x, x0, torch.linspace(0, 1, K + 1, dtype=torch.float64), method=method)[-1]
            e.append(abs(x1[0, 0].item() - math.exp(-1)))
        errs[method] = math.log2(e[0] / e[1])
    assert 0.8 < errs["euler"] < 1.2 and 1.8 < errs["heun"] < 2.2
    # backward in time returns to the start (Heun, fine grid)
    fwd = solve_ode(lambda x, t: -x * t[:, None], x0, torch.linspace(0, 1, 101, dtype=torch.float64))[-1]
    back = solve_ode(lambda x, t: -x * t[:, None], fwd, torch.linspace(1, 0, 101, dtype=torch.float64))[-1]
    assert torch.allclose(back, x0, atol=1e-5)


def test_solve_ode_bad_input():
    from course_lib.solvers import solve_ode

    with pytest.raises(ValueError):
        solve_ode(lambda x, t: -x, torch.zeros(2, 1), [0, 1], method="rk4")
    with pytest.raises(TypeError):
        solve_ode(lambda x, t: -x, torch.zeros(2, 1), [0, 1], method=4)
    with pytest.raises(ValueError):
        solve_ode(lambda x, t: x[:, :0], torch.zeros(2, 1), [0, 1])
    with pytest.raises(ValueError):
        solve_ode(lambda x, t: x / 0.0, torch.ones(2, 1), [0, 1])
