"""A failed test shows the end of the logs its processes wrote under its tmp_path (tests/support/failure_logs.py)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_a_failed_test_shows_the_end_of_the_logs_under_its_tmp_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(tmp_path):
            (tmp_path / "var").mkdir()
            (tmp_path / "var" / "serve.log").write_text("\\n".join(f"line {i}" for i in range(200)))
            assert False

        def test_passes(tmp_path):
            (tmp_path / "quiet.log").write_text("nothing to see")
        """
    )
    result = pytester.runpytest(
        "-p", "no:playwright", "-p", "tests.support.failure_logs", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "log var/serve.log (last 80 lines)" in out
    assert "line 199" in out and "line 120" in out and "line 119" not in out
    assert "nothing to see" not in out
