"""The README's Python quickstart runs as written and prints a forecast."""

import contextlib
import io
import re

from conftest import REPO


def test_readme_quickstart():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Python\n", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue()
    assert "NHITS" in printed and "1961-01-31" in printed and "1961-12-31" in printed
