"""The bundle's trimmed ICU data still answers everything Qt asks of it: casing, locale and
numeric collation, and word boundaries in Thai and Japanese. The same Qt (this venv's PySide6)
runs the same checks once with the full data and once with the bundle's library first on
the library path; the answers must match."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.linux_only]

CHECKS = r'''
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCollator, QDateTime, QLocale, QTextBoundaryFinder, QTimeZone
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
names = ["Zeta", "äpfel", "Apfel", "éclair", "Eclair", "東京", "大阪", "ö", "o", "Ærø", "b",
         "Ångström", "çay", "İzmir", "Ilık", "web-10", "web-2", "web-1"]
for loc in ("en_US", "de_DE", "sv_SE", "da_DK", "tr_TR", "ja_JP", "zh_CN", "fr_FR"):
    collator = QCollator(QLocale(loc))
    collator.setNumericMode(True)
    print(loc, sorted(names, key=collator.sortKey))
for loc, text in (("tr_TR", "istanbul ılık"), ("de_DE", "straße"), ("el_GR", "άλφα"),
                  ("lt_LT", "i̇̀"), ("en_US", "ǅemal")):
    print(loc, QLocale(loc).toUpper(text), QLocale(loc).toLower(text.upper()))
when = QDateTime.fromSecsSinceEpoch(1_800_000_000, QTimeZone.utc())
for zone in (b"Europe/Berlin", b"Asia/Tokyo", b"America/Sao_Paulo", b"Australia/Lord_Howe"):
    tz = QTimeZone(zone)
    print(zone, tz.isValid(), tz.offsetFromUtc(when), tz.abbreviation(when),
          tz.displayName(when, QTimeZone.NameType.LongName, QLocale("de_DE")),
          tz.displayName(when, QTimeZone.NameType.LongName, QLocale("ja_JP")))
for loc in ("de_DE", "ja_JP", "ar_EG", "hi_IN"):
    locale = QLocale(loc)
    print(loc, locale.toString(when, QLocale.FormatType.LongFormat), locale.toString(1234567.891),
          locale.nativeLanguageName(), locale.nativeTerritoryName(), locale.toCurrencyString(12.5))
for text in ("ภาษาไทยง่ายนิดเดียว", "日本語のテキストを分割します", "Hello, wörld! 123"):
    for kind in (QTextBoundaryFinder.BoundaryType.Word, QTextBoundaryFinder.BoundaryType.Line,
                 QTextBoundaryFinder.BoundaryType.Grapheme):
        finder = QTextBoundaryFinder(kind, text)
        cuts = []
        while (pos := finder.toNextBoundary()) != -1:
            cuts.append(pos)
        print(kind.name, cuts)
'''


def _run(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", CHECKS], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Could not" not in done.stderr and "ICU" not in done.stderr, done.stderr
    return done.stdout


def test_trimmed_icu_answers_like_the_full_data(frozen_app: Path, tmp_path: Path) -> None:
    bundled = next((frozen_app.parent / "_internal").rglob("libicudata.so.*"))
    bundled = bundled.resolve()
    assert bundled.stat().st_size < 16_000_000, "the ICU data was not trimmed"
    only = tmp_path / "lib"
    only.mkdir()
    shutil.copyfile(bundled, only / bundled.name)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    full = _run(env)
    check = subprocess.run(["ldd", str(Path(sys.executable).parent.parent / "lib" /
                            "python3.11" / "site-packages" / "PySide6" / "Qt" / "lib" /
                            "libicuuc.so.73")], capture_output=True, text=True,
                           env={**env, "LD_LIBRARY_PATH": str(only)}, check=False)
    assert str(only / bundled.name) in check.stdout, "the trimmed library was not picked up"
    trimmed = _run({**env, "LD_LIBRARY_PATH": str(only)})
    assert trimmed == full
    assert "İSTANBUL" in full and "STRASSE" in full  # the checks ran, with real answers
