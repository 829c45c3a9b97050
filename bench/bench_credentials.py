"""`gangway credentials` on a cache hit vs `aws configure export-credentials`, and 200 profiles.

In one run, with a private HOME, D-Bus session and gnome-keyring (unlocked with a test
password, as in the integration tests):
- baseline: `/usr/bin/aws configure export-credentials --profile plain` (AWS CLI v2, its
  fastest path: static keys straight from ~/.aws/credentials);
- Gangway: `gangway credentials --profile P` for every protected kind, what ssh/the plugin/
  the CLI pay on every connection:
  - `protected`: keys in the keyring, no MFA (the `keys:` entry is the answer);
  - `protected-mfa`: keys in the keyring, MFA; temporary credentials in the keyring cache;
  - `role`: a role whose source is `protected-mfa`; its credentials in the keyring cache.
Each command runs N times after one warm-up; medians are compared (goal: ratio <= 0.2).
Then loading 200 profiles: `load_profiles()` vs botocore's own parse of the same files.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
AWS_CLI = "/usr/bin/aws"
# (profile, the AccessKeyId it must print): one per protected kind, see the docstring.
CASES = (("protected", "AKIABENCHPROTECTED01"), ("protected-mfa", "ASIABENCHTEMPORARY01"),
         ("role", "ASIABENCHTEMPORARY02"))
VENV_BIN = Path(sys.executable).parent


def _median_run(argv: list[str], env: dict[str, str], runs: int = RUNS) -> tuple[float, str]:
    def once() -> tuple[float, str]:
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60, check=False)
        took = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {done.stderr.strip()}")
        return took, done.stdout

    once()  # warm-up: page cache, pyc files
    results = [once() for _ in range(runs)]
    return statistics.median(t for t, _ in results), results[-1][1]


def _write_files(home: Path) -> tuple[Path, Path]:
    aws = home / ".aws"
    aws.mkdir(parents=True)
    config, creds = aws / "config", aws / "credentials"
    config.write_text("[profile plain]\nregion = us-east-1\n\n"
                      "[profile protected]\nregion = us-east-1\n\n"
                      "[profile protected-mfa]\nregion = us-east-1\n"
                      "mfa_serial = arn:aws:iam::123456789012:mfa/bench\n\n"
                      "[profile role]\nregion = us-east-1\n"
                      "role_arn = arn:aws:iam::123456789012:role/bench\n"
                      "source_profile = protected-mfa\n")
    creds.write_text("[plain]\naws_access_key_id = AKIABENCHPLAIN000001\n"
                     "aws_secret_access_key = bench/plain/secret/0000000000000000001\n\n"
                     "[protected]\naws_access_key_id = AKIABENCHPROTECTED01\n"
                     "aws_secret_access_key = bench/protected/secret/000000000000001\n\n"
                     "[protected-mfa]\naws_access_key_id = AKIABENCHPROTECTED02\n"
                     "aws_secret_access_key = bench/protected/secret/000000000000002\n")
    return config, creds


def _protect_and_cache(store: object) -> None:
    from app.core.aws.credentials.types import CACHE_PREFIX, Credentials
    from app.core.aws.profiles.reader import load_profiles
    from app.core.aws.profiles.writer import ProfileWriter

    writer = ProfileWriter(store)  # type: ignore[arg-type]
    writer.protect_keys(load_profiles(), "protected")
    writer.protect_keys(load_profiles(), "protected-mfa")
    for name, key_id in (("protected-mfa", "ASIABENCHTEMPORARY01"),
                         ("role", "ASIABENCHTEMPORARY02")):
        temp = Credentials(key_id, "bench/temporary/secret/00000000000001",
                           "bench-session-token", datetime.now(UTC) + timedelta(hours=12))
        store.set(CACHE_PREFIX + name, temp.to_json())  # type: ignore[attr-defined]


def _profiles_200(folder: Path) -> tuple[Path, Path]:
    config, creds = folder / "config200", folder / "credentials200"
    parts, keys = [], []
    for i in range(200):
        kind = i % 5
        name = f"profile-{i:03d}" if i % 7 else f"profile {i:03d} ü"
        header = f'[profile "{name}"]' if " " in name else f"[profile {name}]"
        body = [header, "region = eu-west-1", "# a comment"]
        if kind == 1:
            body.append("mfa_serial = arn:aws:iam::123456789012:mfa/u")
        elif kind == 2:
            body += ["role_arn = arn:aws:iam::123456789012:role/r", "source_profile = profile-001"]
        elif kind == 3:
            body += ["sso_session = corp", "sso_account_id = 123456789012", "sso_role_name = R"]
        if kind in (0, 1):
            keys.append(f"[{name}]\naws_access_key_id = AKIA{i:016d}\n"
                        f"aws_secret_access_key = secret{i}\n")
        parts.append("\n".join(body))
    parts.append("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                 "sso_region = eu-west-1")
    config.write_text("\n\n".join(parts) + "\n")
    creds.write_text("\n".join(keys))
    return config, creds


def _bench_load(folder: Path) -> tuple[float, float, int]:
    import botocore.session

    from app.core.aws.profiles.reader import load_profiles

    config, creds = _profiles_200(folder)

    def ours() -> int:
        return len(load_profiles(config, creds))

    def theirs() -> int:
        session = botocore.session.Session()
        session.set_config_variable("config_file", str(config))
        session.set_config_variable("credentials_file", str(creds))
        return len(session.full_config["profiles"])

    count = ours()
    assert count == theirs() == 200, (count, theirs())
    t_ours = statistics.median(_timed(ours) for _ in range(RUNS))
    t_theirs = statistics.median(_timed(theirs) for _ in range(RUNS))
    return t_ours, t_theirs, count


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    import keyring
    import keyring.core

    from app.core.secrets import KeyringStore, backend_info
    from tests.integration import keyring_session

    if not os.access(AWS_CLI, os.X_OK):
        print(f"bench_credentials: skipped ({AWS_CLI} is not installed)")
        return
    with tempfile.TemporaryDirectory(prefix="gangway-bench-cred-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        config, creds = _write_files(home)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k not in ("PYTHON_KEYRING_BACKEND", "DISPLAY",
                                                         "WAYLAND_DISPLAY",
                                                         "PYTHONDONTWRITEBYTECODE")}
        # Bytecode caches on, as in any install (the AWS CLI's are precompiled): without them
        # every run would time the compiler, not the helper.
        env.update(HOME=str(home), AWS_CONFIG_FILE=str(config),
                   AWS_SHARED_CREDENTIALS_FILE=str(creds), GANGWAY_HOME=str(home / ".gangway"),
                   XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local"),
                   XDG_RUNTIME_DIR=str(home / ".runtime"), AWS_EC2_METADATA_DISABLED="true",
                   PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", os.defpath)]))
        session = keyring_session.start(home, env)
        saved = dict(os.environ)
        try:
            env["DBUS_SESSION_BUS_ADDRESS"] = session.address
            os.environ.clear()
            os.environ.update(env)
            keyring.core.init_backend()
            info = backend_info()
            if not info.real:
                raise SystemExit(f"no real keyring in the bench session ({info.name})")
            _protect_and_cache(KeyringStore())

            t_aws, aws_out = _median_run(
                [AWS_CLI, "configure", "export-credentials", "--profile", "plain"], env)
            assert json.loads(aws_out)["AccessKeyId"] == "AKIABENCHPLAIN000001"
            timings: list[tuple[str, float]] = []
            for name, key_id in CASES:
                t_gw, gw_out = _median_run(
                    [str(VENV_BIN / "gangway"), "credentials", "--profile", name], env)
                assert json.loads(gw_out)["AccessKeyId"] == key_id, gw_out
                timings.append((name, t_gw))
            t_load, t_boto, count = _bench_load(Path(tmp))
        finally:
            os.environ.clear()
            os.environ.update(saved)
            session.stop()

    print(f"credential_process on a cache hit, median of {RUNS} runs (keyring: {info.name})")
    print(f"  baseline  aws configure export-credentials (static keys): {t_aws * 1000:8.1f} ms")
    for name, t_gw in timings:
        print(f"  gangway   gangway credentials --profile {name:<14} {t_gw * 1000:8.1f} ms"
              f"   ratio {t_gw / t_aws:.2f}x (goal <= 0.20x)")
    print(f"loading {count} profiles (both files), median of {RUNS}")
    print(f"  baseline  botocore full_config:  {t_boto * 1000:8.2f} ms")
    print(f"  gangway   load_profiles():       {t_load * 1000:8.2f} ms")
    print(f"  ratio     gangway / botocore = {t_load / t_boto:.2f}x")


if __name__ == "__main__":
    main()
