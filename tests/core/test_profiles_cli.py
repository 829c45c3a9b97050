"""`gangway profiles`: the list verb, with hostile names escaped and file problems on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               GANGWAY_HOME=str(tmp_path / "gw"), HOME=str(tmp_path),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([sys.executable, "-m", "app", "profiles", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_lists_profiles_with_state_and_escapes_hostile_names(tmp_path: Path) -> None:
    (tmp_path / "config").write_text(
        "[default]\nregion = eu-west-1\n\n"
        '[profile "evil\x1b[31mred"]\nregion = us-east-1\n\n'
        "[profile mfa]\nmfa_serial = arn:aws:iam::1:mfa/x\n\n"
        "broken line\n", encoding="utf-8")
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = AKIA\naws_secret_access_key = topsecret\n"
        "[mfa]\naws_access_key_id = AKIB\naws_secret_access_key = othersecret\n")
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "evil\\x1b[31mred" in done.stdout
    assert "needs MFA" in done.stdout and "static keys" in done.stdout
    assert "topsecret" not in done.stdout + done.stderr
    assert f"{tmp_path / 'config'}:10" in done.stderr
    doc = json.loads(run(tmp_path, "--json").stdout)
    states = {p["name"]: p["state"] for p in doc["profiles"]}
    # Keys nobody has shown to AWS are not called valid (`--check` asks AWS).
    assert states["mfa"] == "NEEDS_MFA" and states["default"] == "UNKNOWN"
    assert len(doc["problems"]) == 1


def test_no_files_says_so(tmp_path: Path) -> None:
    done = run(tmp_path)
    assert done.returncode == 0 and "No profiles" in done.stdout
