"""Every benchmark in one run: server fan-out against ngircd, the TUI, SSH sessions.

Run: ``.venv/bin/python bench/run.py [--quick] [--json PATH]`` (about 4 minutes; ``--quick``
is a smoke run). Each part prints its own table; ``--json`` writes one file holding both
parts' figures, so runs can be compared. The parts can also be run alone:
``bench/fanout.py``, ``bench/tui_log.py`` and ``bench/ssh_sessions.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_part(script: str, json_path: Path, extra: list[str]) -> dict[str, object]:
    """Run one benchmark script (its table goes to the terminal) and read its figures."""
    command = [sys.executable, str(HERE / script), "--json", str(json_path), *extra]
    subprocess.run(command, check=True)
    figures: dict[str, object] = json.loads(json_path.read_text())
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write all figures here")
    parser.add_argument("--quick", action="store_true", help="a smoke run of every part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        fanout = run_part("fanout.py", Path(temp) / "fanout.json",
                          ["--quick"] if args.quick else [])
        tui = run_part("tui_log.py", Path(temp) / "tui.json",
                       ["--messages", "1000", "--large", "5000", "--repeat", "2"]
                       if args.quick else [])
        ssh = run_part("ssh_sessions.py", Path(temp) / "ssh.json",
                       ["--quick"] if args.quick else [])
    if args.json:
        args.json.write_text(json.dumps({"fanout": fanout, "tui": tui, "ssh": ssh}, indent=2)
                             + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
