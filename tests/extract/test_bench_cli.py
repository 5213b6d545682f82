from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from tidings.bench.extract import main

DATA = Path(__file__).parent / "data"


def test_json_output_is_only_the_mapping(tmp_path: Path, capsys) -> None:
    (tmp_path / "html").mkdir()
    for name in ("harbour-wire", "orchard-paywall"):
        with (
            (DATA / f"{name}.html").open("rb") as src,
            gzip.open(tmp_path / "html" / f"{name}.html.gz", "wb") as dst,
        ):
            shutil.copyfileobj(src, dst)
    assert main([str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"harbour-wire", "orchard-paywall"}
    expected = (DATA / "harbour-wire.expected.txt").read_text(encoding="utf-8").strip()
    assert out["harbour-wire"]["articleBody"] == expected


def test_missing_folder_is_an_error(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "nope")]) == 1
    assert "not a directory" in capsys.readouterr().err
