"""Importing tunnels from files a user has: malformed exports and basti files give one clear
error (or one sentence per unusable entry), and the saved tunnels are never touched by a
failed import."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import ConfigFileError
from app.core.tunnels.book import TunnelBook
from app.core.tunnels.spec import TunnelSpec


@pytest.fixture
def book(tmp_path: Path) -> TunnelBook:
    b = TunnelBook(tmp_path / "config" / "tunnels.json")
    b.add(TunnelSpec(name="kept", profile="default", target="bastion", remote_port=5432,
                     local_port=15432))
    return b


@pytest.mark.parametrize(("name", "content", "error"), [
    ("team.json", b'{"tunnels": {"db": {}}}', "has no list of tunnels"),
    ("team.json", b'{"tunnels": [\n  {"name": "db",}\n]}',
     "is not valid JSON (Expecting property name enclosed in double quotes: line 2 column 17 "
     "(char 30))"),
    ("team.json", b'{"tunnels": [{"name": "caf\xe9"}]}', "is not UTF-8 text"),
    (".basti.yaml", b"connections:\n  - db\n  - web\n", "has no `connections:` map"),
    (".basti.yaml", b"connections: {db: [\n", "is not valid YAML (expected the node content"),
])
def test_a_malformed_file_is_one_error_and_the_saved_tunnels_stay(
        book: TunnelBook, tmp_path: Path, name: str, content: bytes, error: str) -> None:
    before = book.path.read_bytes()
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConfigFileError) as caught:
        book.import_file(path, target="basti-instance-1a2b3c4d")
    assert str(caught.value.path) == str(path)
    assert caught.value.message.split(": ", 1)[1].startswith(error)
    assert book.path.read_bytes() == before


def test_a_directory_given_as_the_file_cannot_be_read(book: TunnelBook, tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"cannot be read \(Is a directory\)"):
        book.import_file(tmp_path)


def test_basti_entries_that_are_not_usable_are_skipped_one_sentence_each(
        book: TunnelBook, tmp_path: Path) -> None:
    path = tmp_path / ".basti.yaml"
    path.write_text(
        "connections:\n"
        "  just-a-string: hello\n"
        "  lost: {target: nowhere, localPort: 15001}\n"
        "  '$(reboot); rm -rf ~': {target: db, localPort: 15002}\n"
        '  "\\e]0;owned\\a": {target: db, localPort: 15004}\n'
        "  good: {target: db, localPort: 15003}\n"
        "  inline: {target: {customTargetHost: cache.internal, customTargetPort: 6379}}\n"
        "targets:\n"
        "  db: {customTargetHost: db.internal, customTargetPort: 5432, awsProfile: dev}\n",
        encoding="utf-8")
    result = book.import_file(path, target="basti-instance-1a2b3c4d")
    # A shell-looking name is only a name (never run); control characters are refused.
    assert result.added == ["$(reboot); rm -rf ~", "good", "inline"]
    assert result.skipped == [
        "just-a-string: not a connection object",
        "lost: its target is missing or unknown",
        "\x1b]0;owned\x07: The tunnel name '\\x1b]0;owned\\x07' has control characters, "
        "leading or trailing spaces, or starts with '-'. Pick a plain name."]
    saved = {s.name: s for s in book.local()}
    assert sorted(saved) == ["$(reboot); rm -rf ~", "good", "inline", "kept"]
    good = saved["good"]
    assert (good.profile, good.target, good.remote_host, good.remote_port, good.local_port,
            good.group) == ("dev", "basti-instance-1a2b3c4d", "db.internal", 5432, 15003,
                            "basti")
    assert (saved["inline"].profile, saved["inline"].remote_port) == ("default", 6379)
