"""course_lib.notebook.glue: myst-nb's glue on the website build, a plain recorder elsewhere."""
import pytest

from course_lib import notebook


def test_without_myst_nb_records_and_shows(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "_myst_glue", None)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda v: shown.append(v))
    notebook.glue("ch0_a", 1.5, display=False)
    notebook.glue("ch0_b", 2.5)
    assert notebook.GLUED["ch0_a"] == 1.5 and notebook.GLUED["ch0_b"] == 2.5
    assert shown == [2.5]


def test_with_myst_nb_delegates(monkeypatch):
    calls = []
    monkeypatch.setattr(notebook, "_myst_glue", lambda *a, **k: calls.append((a, k)))
    notebook.glue("ch0_c", 3, display=False)
    assert calls == [(("ch0_c", 3), {"display": False})] and notebook.GLUED["ch0_c"] == 3


@pytest.mark.parametrize("name", ["", None, 3])
def test_bad_name(name):
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        notebook.glue(name, 1)
