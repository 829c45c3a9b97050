"""Screenshot scenes of the Profiles pane, the MFA dialog, the profile editor and SSO login.

Registered with `scripts/screenshots.py` (listed in its SCENE_MODULES). Every scene drives the
real application against the sandbox: real files, real STS with TOTP checks, real SSO-OIDC.
Scenes that change the AWS files put them back when done.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.screenshots import Ctx, scene

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.ui.panes.profiles_pane import ProfilesPane


def _pane(ctx: Ctx) -> ProfilesPane:
    from app.ui.panes.profiles_pane import ProfilesPane

    ctx.app.show_window()
    ctx.app.window.show_pane("Profiles")
    pane = ctx.app.panes.profiles
    assert isinstance(pane, ProfilesPane)
    return pane


def _reload(ctx: Ctx, pane: ProfilesPane) -> None:
    done: list[bool] = []
    pane.loaded.connect(lambda: done.append(True))
    pane.reload()
    if not ctx.wait_until(lambda: bool(done), 20):
        ctx.notes.append("profiles: the pane did not finish loading")
    ctx.settle(300)


def _files() -> tuple[Path, Path]:
    from app.core.aws.profiles.reader import config_paths

    return config_paths()


@contextlib.contextmanager
def _edited_files() -> Iterator[tuple[Path, Path]]:
    config, creds = _files()
    saved = (config.read_bytes(), creds.read_bytes())
    try:
        yield config, creds
    finally:
        config.write_bytes(saved[0])
        creds.write_bytes(saved[1])


def _mfa_login(ctx: Ctx, name: str = "mfa") -> None:
    """Real temporary credentials for `name` (the sandbox checks the TOTP code)."""
    service = ctx.app.services.credentials
    assert service is not None
    service.get(name, lambda _request: ctx.sandbox.totp(), refresh=True)


@scene("profiles-pane")
def profiles_pane(ctx: Ctx) -> QWidget:
    pane = _pane(ctx)
    _mfa_login(ctx)
    _reload(ctx, pane)
    pane.select("mfa")
    ctx.settle(200)
    return ctx.app.window


@scene("profiles-expired")
def profiles_expired(ctx: Ctx) -> QWidget:
    from app.core.aws.credentials.types import Credentials

    pane = _pane(ctx)
    service = ctx.app.services.credentials
    assert service is not None
    _mfa_login(ctx)
    # Credentials that ran out 20 minutes ago, as a long-gone session leaves them.
    past = datetime.now(UTC) - timedelta(minutes=20)
    service.remember("role-mfa", Credentials("ASIAEXPIREDEXAMPLE01", "x" * 40, "token", past))
    _reload(ctx, pane)
    pane.select("role-mfa")
    ctx.settle(200)
    return ctx.app.window


@scene("profiles-malformed")
def profiles_malformed(ctx: Ctx) -> None:
    pane = _pane(ctx)
    with _edited_files() as (config, creds):
        with config.open("a", encoding="utf-8") as f:
            f.write("\nregion eu-west-1\n[profile broken\n[profile mfa]\nregion = x\n")
        creds.write_bytes(creds.read_bytes() + b"\n# caf\xe9 in latin-1\n")
        _reload(ctx, pane)
        ctx.save(ctx.app.window, "profiles-malformed")
    _reload(ctx, pane)


def _fifty() -> str:
    kinds = [
        "region = {r}\noutput = json\n",
        "region = {r}\nrole_arn = arn:aws:iam::123456789012:role/gangway-operator\n"
        "source_profile = default\n",
        "region = {r}\nsso_session = sandbox\nsso_account_id = 210987654321\n"
        "sso_role_name = PowerUser\n",
        "region = {r}\ncredential_process = /usr/local/bin/vault-aws --profile x\n",
        "region = {r}\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = nowhere\n",
    ]
    regions = ("eu-west-1", "us-east-1", "ap-southeast-2", "sa-east-1")
    names = [f"team-{i:02d}-{w}" for i, w in enumerate(
        ("billing", "search", "payments", "data", "ml", "web", "edge", "auth", "mail", "ops"))]
    names += [f"customer {i} ü" for i in range(10)]
    names += [f"acct-{i:03d}" for i in range(26)]
    names += ["a-very-long-profile-name-for-the-production-data-warehouse-admin-role-eu",
              "<b>not bold</b> & <i>not italic</i>", "日本語のプロファイル", "x"]
    out = []
    for i, name in enumerate(names[:50]):
        quoted = f'"{name}"' if any(c in name for c in " <>&") or not name.isascii() else name
        out.append(f"[profile {quoted}]\n" + kinds[i % len(kinds)].format(
            r=regions[i % len(regions)]))
    return "\n".join(out)


@scene("profiles-50")
def profiles_fifty(ctx: Ctx) -> None:
    pane = _pane(ctx)
    with _edited_files() as (config, _creds):
        config.write_text(config.read_text(encoding="utf-8") + "\n" + _fifty(),
                          encoding="utf-8")
        _reload(ctx, pane)
        ctx.notes.append(f"profiles-50: {pane.model.rowCount()} rows")
        ctx.save(ctx.app.window, "profiles-50")
        pane.table.scrollToBottom()
        ctx.settle(200)
        ctx.save(ctx.app.window, "profiles-50-bottom")
    _reload(ctx, pane)


@scene("profiles-empty")
def profiles_empty(ctx: Ctx) -> None:
    pane = _pane(ctx)
    config, _creds = _files()
    empty = config.parent / "empty"
    empty.write_text("")
    saved = (os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(empty)
    try:
        _reload(ctx, pane)
        ctx.save(ctx.app.window, "profiles-empty")
    finally:
        os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"] = saved
    _reload(ctx, pane)


def _wrong_code(ctx: Ctx) -> str:
    valid = {ctx.sandbox.totp(at=time.time() + d * 30) for d in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222") if c not in valid)


@scene("mfa-dialog")
def mfa_dialog(ctx: Ctx) -> None:
    pane = _pane(ctx)
    broker = ctx.app.services.mfa
    assert broker is not None
    _reload(ctx, pane)
    pane.select("mfa")
    pane.enter_mfa("mfa")
    if not ctx.wait_until(lambda: broker.open_dialog("mfa") is not None, 20):
        ctx.notes.append("mfa-dialog: no dialog appeared")
        return
    dialog = broker.open_dialog("mfa")
    assert dialog is not None
    ctx.settle(400)
    ctx.save(dialog, "mfa-dialog")
    dialog.code.setText(_wrong_code(ctx))
    dialog.ok_button.click()
    ctx.wait_until(dialog.error_label.isVisible, 20)
    ctx.settle(300)
    ctx.save(dialog, "mfa-dialog-wrong-code")
    dialog.code.setText(ctx.sandbox.totp())
    dialog.ok_button.click()
    ctx.wait_until(lambda: broker.open_dialog("mfa") is None, 20)
    _reload(ctx, pane)
    ctx.save(ctx.app.window, "profiles-after-mfa")


@scene("profile-editor")
def profile_editor(ctx: Ctx) -> None:
    pane = _pane(ctx)
    _reload(ctx, pane)
    pane.new_profile()
    editor = pane.editor
    editor.name.setText("prod admin ü")
    editor.key_id.setText("AKIAEXAMPLEEXAMPLE01")
    editor.secret.setText("not-a-real-secret-but-forty-characters!!")
    editor.region.setCurrentText("eu-west-1")
    ctx.settle(300)
    ctx.save(editor, "profile-editor-new")
    editor.name.setText("bad [name]")
    editor.key_id.setText("abc")
    editor.buttons.accepted.emit()
    ctx.settle(300)
    ctx.save(editor, "profile-editor-errors")
    editor.reject()
    pane.select("role-mfa")
    pane.edit_profile()
    ctx.settle(300)
    ctx.save(pane.editor, "profile-editor-role")
    pane.editor.reject()
    pane.select("sso")
    pane.edit_profile()
    ctx.settle(300)
    ctx.save(pane.editor, "profile-editor-sso")
    pane.editor.reject()


@scene("sso-login")
def sso_login(ctx: Ctx) -> None:
    pane = _pane(ctx)
    _reload(ctx, pane)
    pane.open_browser = False
    pane.select("sso")
    pane.start_sso()
    dialog: Any = pane.sso_dialog
    ctx.settle(300)
    ctx.save(dialog, "sso-login-start")
    dialog.go.click()
    if ctx.wait_until(lambda: bool(dialog.code_label.text()), 20):
        ctx.settle(300)
        ctx.save(dialog, "sso-login-code")
        ctx.sandbox.control.approve_device_code(user_code=dialog.code_label.text())
        if ctx.wait_until(lambda: dialog.pages.currentIndex() == 2, 30):
            ctx.settle(300)
            ctx.save(dialog, "sso-login-roles")
    dialog.reject()
    pane.open_browser = True


@scene("settings-durations")
def settings_durations(ctx: Ctx) -> QWidget | None:
    pane = _pane(ctx)
    pane.open_settings()
    dialog: Any = getattr(pane, "settings_dialog", None)
    if dialog is None:
        ctx.notes.append("settings-durations: no settings store wired")
        return None
    ctx.settle(300)
    ctx.save(dialog, "settings-durations")
    dialog.reject()
    return None
