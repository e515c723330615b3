"""README.md's activation table is the registry's (tools/readme_api.py)."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_activation_table_is_current():
    tool = os.path.join(ROOT, "tools", "readme_api.py")
    if not os.path.exists(tool):  # an installed copy of the tests, without the checkout
        import pytest
        pytest.skip("tools/readme_api.py is part of the source checkout only")
    r = subprocess.run([sys.executable, tool, "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
