"""course_lib: the tested PyTorch code behind the course "Diffusion models, from a one-shot denoiser to EDM".

One module per concept; see each module's docstring. Chapters import from here.
"""
import os

# torch's OpenMP threads sleep instead of spinning while they wait (benchmarks/RESULTS.md, "The
# book"): on two shared cores a spinning pool made a chapter run over 5x slower beside one other
# busy process. It only takes effect if course_lib is imported before torch is first loaded; a
# value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .device import get_device, make_generator
from . import data, distributions, metrics  # noqa: E402,F401  (toy data, exact denoisers, metrics)
from . import schedules, processes, denoisers, losses, samplers  # noqa: E402,F401  (the numerical core)

__version__ = "0.1.0"
__all__ = ["get_device", "make_generator", "__version__"]
