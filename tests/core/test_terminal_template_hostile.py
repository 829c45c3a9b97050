"""`{title}` and `{command}` in a custom terminal template reach a real `sh` as data.

The title starts with the instance Name tag (attacker data). With the template
`sh -c "printf %s {title} > T; {command} > C"`, `sh` must print exactly the title and run
exactly the command, whatever the name holds."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import terminals
from tests.sandbox.fleet import HOSTILE_NAMES

pytestmark = pytest.mark.needs_program("sh")


def _through_sh(tmp_path: Path, title: str) -> tuple[str, str]:
    marker = tmp_path / "pwned"
    out_t, out_c = tmp_path / "title.out", tmp_path / "command.out"
    for p in (out_t, out_c):
        p.unlink(missing_ok=True)
    template = f'sh -c "printf %s {{title}} > {out_t}; {{command}} > {out_c}"'
    command = ["printf", "%s|", "ran", title]
    spec = terminals.custom_template_argv(template, command, title, system="Linux")
    subprocess.run(list(spec.argv), cwd=tmp_path, check=True, timeout=10,
                   stdin=subprocess.DEVNULL)
    assert not marker.exists()
    return out_t.read_bytes().decode(), out_c.read_bytes().decode()


@pytest.mark.parametrize("name", [*HOSTILE_NAMES, "x; touch pwned #", "$(touch pwned)",
                                  "{command}", "'; touch pwned; '", "a\nb"])
def test_hostile_fleet_names_are_a_title_and_nothing_else(tmp_path: Path, name: str) -> None:
    title = f"{name} (i-0123456789abcdef0) - ssh"
    shown, ran = _through_sh(tmp_path, title)
    assert shown == title
    assert ran == f"ran|{title}|"


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
               max_size=40))
def test_any_title_survives_sh(tmp_path_factory: pytest.TempPathFactory, title: str) -> None:
    tmp = tmp_path_factory.mktemp("title")
    shown, ran = _through_sh(tmp, title)
    assert shown == title and ran == f"ran|{title}|"


def test_whole_word_placeholders_are_plain_arguments() -> None:
    spec = terminals.custom_template_argv("term -T {title} -e {command}", ["a b", "c"],
                                          "x; y", system="Linux")
    assert spec.argv == ("term", "-T", "x; y", "-e", "a b", "c")
    win = terminals.custom_template_argv('wrap.exe "--title={title}" {command}', ["c"],
                                         'say "hi"', system="Windows")
    assert win.argv == ("wrap.exe", '--title="say \\"hi\\""', "c")
