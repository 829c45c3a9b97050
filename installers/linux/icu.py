"""Trim the ICU data library that PySide6's Qt Core links on Linux (32 MB of 121).

Qt keeps its own CLDR data for QLocale. What it asks ICU for is visible in its imports
(`nm -D --undefined-only libQt6*.so.6 | grep _73`): casing (u_strToUpper/Lower), collation
(ucol_*: QCollator, localeAwareCompare), time-zone display names (ucal_*), and legacy
converters (ucnv_*: QStringDecoder for named non-Unicode encodings). So kept: Unicode
properties, normalization, casing, all collation data, zone names, root and supplemental
tables. Dropped with ICU's own `icupkg`: the per-locale tables ICU's own formatters use
(Qt formats dates and numbers itself), unit, currency, language and region names,
transliterators, spell-out rules, break iterators (Qt segments text itself) and the legacy
converters (Gangway decodes nothing through Qt; Python's codecs do its decoding). The
smaller package is wrapped back into a `libicudata.so.NN` exporting the same `icudtNN_dat`
symbol, assembled with binutils' `as` and `ld`.

Called by build.spec after COLLECT. Without icupkg (Debian: icu-devtools) or binutils it
leaves the library as it is and says so. tests/packaging/test_icu.py runs the same Qt with
the full and the trimmed data and requires identical answers: collation in eight locales,
casing, time-zone names, long dates, numbers and currencies, text boundaries.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

DROP_FOLDERS = ("unit", "curr", "lang", "region", "translit", "rbnf", "brkitr")
# per-locale formatter tables at the top level (af.res, de_AT.res...), not root/res_index/pool
# or the supplemental tables (likelySubtags.res, supplementalData.res, zoneinfo64.res...)
LOCALE_TABLE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
KEEP_TOP = ("root.res", "res_index.res", "pool.res")
TOOLS = ("icupkg", "as", "ld", "readelf", "nm")


def _run(argv: list[str], cwd: Path | None = None) -> str:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True).stdout


def extract_data(lib: Path) -> tuple[str, bytes]:
    """(symbol, bytes) of the ICU common data package inside libicudata.so."""
    symbols = _run(["nm", "-D", "--defined-only", "-S", str(lib)])
    match = re.search(r"^([0-9a-f]+) ([0-9a-f]+) R (icudt\d+_dat)$", symbols, re.M)
    if not match:
        raise RuntimeError(f"{lib}: no icudtNN_dat symbol")
    addr, size, symbol = int(match.group(1), 16), int(match.group(2), 16), match.group(3)
    for line in _run(["readelf", "-W", "-S", str(lib)]).splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".rodata":
            sec_addr, sec_off = int(fields[3], 16), int(fields[4], 16)
            start = addr - sec_addr + sec_off
            return symbol, lib.read_bytes()[start:start + size]
    raise RuntimeError(f"{lib}: no .rodata section")


def items_to_drop(names: list[str]) -> list[str]:
    drop = []
    for name in names:
        folder = name.split("/", 1)[0] if "/" in name else ""
        top_level_drop = not folder and (
            name.endswith(".cnv") or (LOCALE_TABLE.match(name) and name not in KEEP_TOP))
        if folder in DROP_FOLDERS or top_level_drop:
            drop.append(name)
    return drop


def trim_icu(lib: Path) -> tuple[int, int] | None:
    """Replace `lib` with a trimmed copy; (bytes before, after), or None when skipped."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"ICU data not trimmed: {', '.join(missing)} not installed (Debian: "
              "icu-devtools, binutils)", flush=True)
        return None
    before = lib.stat().st_size
    symbol, data = extract_data(lib)
    package = symbol.removesuffix("_dat") + "l"  # little-endian, ASCII: icudt73l
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        (work / "out").mkdir()
        (work / "in" / f"{package}.dat").write_bytes(data)
        names = _run(["icupkg", "-l", f"in/{package}.dat"], cwd=work).split()
        (work / "drop.txt").write_text("\n".join(items_to_drop(names)) + "\n")
        _run(["icupkg", "-r", "drop.txt", f"in/{package}.dat", f"out/{package}.dat"], cwd=work)
        (work / "data.S").write_text(
            f"    .section .rodata\n    .global {symbol}\n    .type {symbol}, @object\n"
            f"    .balign 16\n{symbol}:\n    .incbin \"out/{package}.dat\"\n"
            f"    .size {symbol}, . - {symbol}\n    .section .note.GNU-stack,\"\",@progbits\n")
        _run(["as", "-o", "data.o", "data.S"], cwd=work)
        dynamic = _run(["readelf", "-d", str(lib)])
        found = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dynamic)
        soname = found.group(1) if found else lib.name
        _run(["ld", "-shared", "-soname", soname, "-o", soname, "data.o"], cwd=work)
        shutil.copyfile(work / soname, lib)
    after = lib.stat().st_size
    print(f"ICU data trimmed: {lib.name} {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB",
          flush=True)
    return before, after
