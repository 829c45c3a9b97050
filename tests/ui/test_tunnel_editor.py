"""The tunnel editor: every field checked, errors next to the field, values in, a spec out."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox

from app.core.tunnels.spec import Mode
from app.ui.dialogs.tunnel_editor import TunnelEditor, Values, check
from tests.ui.instances_factory import make_row
from tests.ui.tunnel_factory import specs

ROWS = [make_row("web-1.prod", n=1), make_row("web-1.prod", n=2),
        make_row("old", n=3, state="stopped"), make_row("win-1", n=4, platform="Windows")]
PROFILES = ["default", "prod"]


def good(**kw: Any) -> Values:
    fields: dict[str, Any] = {"name": "api", "profile": "default", "target": "web-1.prod",
                              "remote_port": "8443", "pick_port": True}
    fields.update(kw)
    return Values(**fields)


def test_a_good_form_gives_a_spec_and_notes_the_choice_among_matches() -> None:
    verdict = check(good(), specs(), ROWS, PROFILES)
    assert verdict.errors == {}
    assert verdict.spec is not None and verdict.spec.local_port == 0  # picked when saved
    assert verdict.spec.remote_port == 8443 and verdict.spec.mode is Mode.INSTANCE_PORT
    assert "2 running instances with a connected agent match" in verdict.notes["target"]


def test_ports_must_be_1_to_65535_and_privileged_ports_are_explained() -> None:
    for bad in ("", "0", "65536", "80x", "-1"):
        verdict = check(good(remote_port=bad), specs(), ROWS, PROFILES)
        assert "remote_port" in verdict.errors, bad
        assert verdict.spec is None
    verdict = check(good(pick_port=False, local_port="70000"), specs(), ROWS, PROFILES)
    assert verdict.errors["local_port"] == "The local port must be a whole number from 1 to 65535."
    verdict = check(good(pick_port=False, local_port="443"), specs(), ROWS, PROFILES)
    assert verdict.errors == {}
    assert "below 1024" in verdict.notes["local_port"] and "10443" in verdict.notes["local_port"]


def test_duplicate_names_and_local_ports_are_refused_but_editing_keeps_its_own() -> None:
    existing = specs()
    verdict = check(good(name="web"), existing, ROWS, PROFILES)
    assert verdict.errors["name"] == "A tunnel named 'web' already exists. Pick another name."
    verdict = check(good(pick_port=False, local_port="18080"), existing, ROWS, PROFILES)
    assert "already used by the tunnel 'web'" in verdict.errors["local_port"]
    # Editing "web" itself: its own name and port are fine.
    verdict = check(good(name="web", pick_port=False, local_port="18080"), existing, ROWS,
                    PROFILES, original="web")
    assert verdict.errors == {}


def test_target_profile_and_remote_host_are_checked() -> None:
    verdict = check(good(target="tag:Role"), specs(), ROWS, PROFILES)
    assert "tag:KEY=VALUE" in verdict.errors["target"]
    verdict = check(good(target="old"), specs(), ROWS, PROFILES)
    assert "none running with a connected SSM agent now" in verdict.notes["target"]
    verdict = check(good(target="i-0123456789abcdef9"), specs(), ROWS, PROFILES)
    assert "No listed instance matches" in verdict.notes["target"]
    verdict = check(good(target=f"i-{4:017x}"), specs(), ROWS, PROFILES)
    assert verdict.notes["target"].startswith(f"Matches i-{4:017x}")
    verdict = check(good(profile="nope"), specs(), ROWS, PROFILES)
    assert verdict.errors["profile"] == "There is no profile 'nope' in your AWS config."
    verdict = check(good(mode=Mode.REMOTE_HOST), specs(), ROWS, PROFILES)
    assert verdict.errors["remote_host"] == "Give the host the instance forwards to."
    verdict = check(good(mode=Mode.REMOTE_HOST, remote_host="db; rm -rf /"), specs(), ROWS,
                    PROFILES)
    assert "not a host name" in verdict.errors["remote_host"]
    verdict = check(good(bind="everywhere"), specs(), ROWS, PROFILES)
    assert "IP address" in verdict.errors["bind"]


def test_the_dialog_shows_errors_next_to_each_field_and_emits_the_spec(qtbot: Any) -> None:
    dlg = TunnelEditor(specs(), ROWS, PROFILES)
    qtbot.addWidget(dlg)
    saved: list[Any] = []
    dlg.saved.connect(lambda spec, original: saved.append((spec, original)))
    dlg.show()
    # Nothing is shouted at before the user did anything.
    assert not any(label.isVisible() for label in dlg.messages.values())
    dlg.name.setText("web")
    dlg.fixed.setChecked(True)
    dlg.local_port.setText("99999")
    assert not dlg.try_save()
    assert dlg.messages["name"].isVisible()
    assert "already exists" in dlg.messages["name"].text()
    assert dlg.messages["target"].isVisible() and dlg.messages["remote_port"].isVisible()
    assert "1 to 65535" in dlg.messages["local_port"].text()
    assert dlg.messages["name"].accessibleName() == "error"
    save = dlg.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled()
    assert saved == []
    # Fixing the fields clears their errors as the user types.
    qtbot.keyClicks(dlg.name, "-2")
    assert not dlg.messages["name"].isVisible()
    dlg.target.setText("web-1.prod")
    dlg.remote_port.setText("8080")
    dlg.local_port.setText("18081")
    dlg.refresh()
    assert save.isEnabled()
    assert dlg.try_save()
    [(spec, original)] = saved
    assert (spec.name, spec.local_port, spec.remote_port, original) == ("web-2", 18081, 8080, "")


def test_remote_host_row_shows_only_for_remote_host_mode(qtbot: Any) -> None:
    dlg = TunnelEditor([], [], PROFILES, Values(profile="default", mode=Mode.REMOTE_HOST))
    qtbot.addWidget(dlg)
    assert dlg.form.isRowVisible(dlg.remote_host_row)
    dlg.mode.setCurrentIndex(dlg.mode.findData(Mode.INSTANCE_PORT))
    assert not dlg.form.isRowVisible(dlg.remote_host_row)
    dlg.mode.setCurrentIndex(dlg.mode.findData(Mode.SSH))
    assert "ssh -L" in dlg.messages["mode"].text()
