"""Gangway's one ephemeral SSH key pair per user, for EC2 Instance Connect ("keyless" SSH).

    keys = EphemeralKey(paths.data_dir)
    pair = keys.ensure()            # generated with ssh-keygen on first use (ed25519)
    pair.public_key                 # "ssh-ed25519 AAAA... gangway-ephemeral"; pushed for 60 s
    keys.rotate()                   # on demand (`gangway ssh-config --rotate-key`)
    keys.rotate_if_stale()          # the schedule: a key older than ROTATE_AFTER is replaced

The private key lives in `<data_dir>/ssh/gangway_ed25519`, mode 0600, in a 0700 directory we
check for owner and mode. It never leaves this file: only the public half is sent to AWS, and
neither is logged. `ssh-keygen` writes it (it ships with every OpenSSH client Gangway needs);
the key is never on its argv (only the file's path is).

Rotation replaces the pair atomically (new files under temporary names, then `os.replace`),
under a lock file in the same directory, so concurrent first connections make one pair.
ssh loads the identity named in its config when it starts, just before its ProxyCommand pushes,
so a proxy pushes the key that was on disk when it started and rotates, if due, only after its
plugin is running: the new key serves the next connection. (An ssh that loaded the old key
just before another process rotated it sees one "Permission denied"; a retry works.)
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import GangwayError
from app.core.procs import which
from app.core.store import exclusive

KEY_NAME = "gangway_ed25519"
COMMENT = "gangway-ephemeral"
# The schedule: a key is used for at most a day, then replaced at the next connection. Each
# push is only good for 60 s anyway; rotating bounds what a copied key file is worth.
ROTATE_AFTER = 24 * 3600.0


class EphemeralKeyError(GangwayError):
    """The ephemeral key cannot be made, read or trusted."""


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_key: str  # one line, "ssh-ed25519 AAAA... comment"
    created: float  # epoch seconds (the private file's mtime)

    @property
    def key_type(self) -> str:
        return self.public_key.split(" ", 1)[0]

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.created


class EphemeralKey:
    """The key pair under `data_dir`; see the module docstring."""

    def __init__(self, data_dir: Path, *, rotate_after: float = ROTATE_AFTER) -> None:
        self.dir = data_dir / "ssh"
        self.private_path = self.dir / KEY_NAME
        self.public_path = self.dir / (KEY_NAME + ".pub")
        self.rotate_after = rotate_after

    # --- reading ------------------------------------------------------------------------

    def load(self) -> KeyPair | None:
        """The current pair, or None if there is none yet. Refuses a key others could read."""
        try:
            st = self.private_path.stat()
            public = self.public_path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeError) as exc:
            raise EphemeralKeyError(f"The Gangway SSH key {self.private_path} cannot be "
                                    f"read ({exc}).", self._hint()) from exc
        self._check_private(st)
        if not public.startswith("ssh-ed25519 ") or "\n" in public:
            raise EphemeralKeyError(f"{self.public_path} is not an ed25519 public key.",
                                    self._hint())
        return KeyPair(self.private_path, public, st.st_mtime)

    def ensure(self) -> KeyPair:
        """The current pair, generated first if there is none."""
        pair = self.load()
        if pair is not None:
            return pair
        with self._locked():
            pair = self.load()  # another process may have made it meanwhile
            return pair if pair is not None else self._make()

    def is_stale(self, pair: KeyPair, now: float | None = None) -> bool:
        return pair.age(now) >= self.rotate_after

    # --- writing ------------------------------------------------------------------------

    def rotate(self) -> KeyPair:
        """A new pair replaces the old one (atomically, both halves)."""
        with self._locked():
            return self._make()

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time: two proxies on a first connection make one key, not a mix
        of one's public and the other's private half."""
        self._private_dir()
        return exclusive(self.dir / ".lock")

    def _make(self) -> KeyPair:
        keygen = which("ssh-keygen")
        if keygen is None:
            raise EphemeralKeyError("ssh-keygen was not found, so Gangway cannot make its "
                                    "SSH key.", "Install the OpenSSH client (it includes "
                                    "ssh-keygen).")
        tmp = self.dir / f".{KEY_NAME}.{os.getpid()}.{time.monotonic_ns()}"
        try:
            # -N "": no passphrase (ssh must use it unattended); -q: it prints no randomart.
            done = subprocess.run(
                [str(keygen), "-q", "-t", "ed25519", "-N", "", "-C", COMMENT, "-f", str(tmp)],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                check=False)
            if done.returncode != 0 or not tmp.exists():
                raise EphemeralKeyError("ssh-keygen could not make the Gangway SSH key: "
                                        + " ".join((done.stderr or "").split())[:200],
                                        self._hint())
            os.chmod(tmp, 0o600)
            pub = Path(str(tmp) + ".pub")
            os.chmod(pub, 0o644)
            # Public half first: a reader that sees the new private key sees its public one.
            os.replace(pub, self.public_path)
            os.replace(tmp, self.private_path)
        finally:
            for leftover in (tmp, Path(str(tmp) + ".pub")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        pair = self.load()
        assert pair is not None
        return pair

    def rotate_if_stale(self, now: float | None = None) -> KeyPair | None:
        """The schedule: a new pair if the current one is older than `rotate_after`."""
        pair = self.load()
        if pair is not None and not self.is_stale(pair, now):
            return None
        with self._locked():
            pair = self.load()  # another proxy may have rotated it meanwhile
            if pair is None or self.is_stale(pair, now):
                return self._make()
        return None

    # --- checks -------------------------------------------------------------------------

    def _private_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if sys.platform == "win32":
            return  # ACLs of the per-user data dir; no POSIX modes to check
        st = self.dir.lstat()
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise EphemeralKeyError(f"{self.dir} is not a directory.", self._hint())
        if st.st_uid != os.getuid():
            raise EphemeralKeyError(f"{self.dir} belongs to another user.", self._hint())
        if st.st_mode & 0o077:
            os.chmod(self.dir, 0o700)

    def _check_private(self, st: os.stat_result) -> None:
        if sys.platform == "win32":
            return
        if st.st_uid != os.getuid():
            raise EphemeralKeyError(f"The Gangway SSH key {self.private_path} belongs to "
                                    "another user.", self._hint())
        if st.st_mode & 0o077:
            # ssh itself refuses such a key ("UNPROTECTED PRIVATE KEY FILE"); so do we.
            raise EphemeralKeyError(f"The Gangway SSH key {self.private_path} can be read "
                                    f"by others (mode {stat.S_IMODE(st.st_mode):04o}).",
                                    self._hint())

    def _hint(self) -> str:
        return f"Make a new one with `gangway ssh-config --rotate-key` (in {self.dir})."
