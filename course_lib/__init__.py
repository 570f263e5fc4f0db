"""course_lib: the tested PyTorch code behind the course "Diffusion models, from a one-shot denoiser to EDM".

One module per concept; see each module's docstring. Chapters import from here.
"""
from .device import get_device, make_generator
from . import data, distributions, metrics  # noqa: E402,F401  (toy data, exact denoisers, metrics)
from . import schedules, processes, params, losses, samplers  # noqa: E402,F401  (the numerical core)

__version__ = "0.1.0"
__all__ = ["get_device", "make_generator", "__version__"]
