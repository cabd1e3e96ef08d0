"""packaging/: the desktop file, the AppStream metainfo, the icons, the PyInstaller spec and
install-desktop.sh. The bundle itself is built (slowly) only with CALLVIEWER_TEST_PACKAGING=1."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from callviewer import __version__
from callviewer.profile import APP_ID

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "linux" / f"{APP_ID}.desktop"
METAINFO = PACKAGING / "linux" / f"{APP_ID}.metainfo.xml"
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def desktop_entry(path: Path = DESKTOP) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_desktop_file():
    e = desktop_entry()
    assert e["Type"] == "Application"
    assert e["Name"] == "callviewer"
    assert e["Exec"] == "callviewer"
    assert e["Icon"] == APP_ID
    assert e["Terminal"] == "false"
    assert "Office" in e["Categories"].split(";") and e["Categories"].endswith(";")
    keywords = e["Keywords"].split(";")
    assert {"calls", "transcripts", "Atlas", "Callab", "Vatel"} <= set(keywords)


def test_metainfo():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("metadata_license") == "CC0-1.0"
    releases = root.find("releases").findall("release")
    assert releases[0].get("version") == __version__  # the newest release is this version
    assert root.find("provides").findtext("binary") == "callviewer"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate not installed (apt install desktop-file-utils)")
def test_desktop_file_validates():
    proc = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "error" not in (proc.stdout + proc.stderr).lower()


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstreamcli not installed (apt install appstream)")
def test_metainfo_validates():
    proc = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_icons_are_there_in_every_size():
    svg = ICONS / f"{APP_ID}.svg"
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 512 512"
    for n in SIZES:
        png = ICONS / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png"
        assert png_size(png) == (n, n)


def test_icon_pngs_are_rendered_from_the_svg():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(PACKAGING / "render_icons.py"), "--check"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr


def _spec_list(name: str) -> list[str]:
    tree = ast.parse((PACKAGING / "callviewer.spec").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    raise AssertionError(f"no {name} in the spec")


def test_spec_hiddenimports_exist():
    hidden = _spec_list("hiddenimports")
    for name in ("qasync", "keyring.backends.SecretService", "keyring.backends.macOS",
                 "keyring.backends.Windows", "secretstorage", "jeepney"):
        assert name in hidden
    for name in hidden:
        assert importlib.util.find_spec(name) is not None, name
    spec = (PACKAGING / "callviewer.spec").read_text()
    assert '"resources"' in spec and 'name="callviewer"' in spec
    assert "callviewer_main.py" in spec and (PACKAGING / "callviewer_main.py").is_file()


def test_install_desktop_puts_the_entry_into_xdg_data_home(tmp_path):
    program = tmp_path / "My Apps" / "callviewer"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "HOME": str(tmp_path)}
    script = PACKAGING / "linux" / "install-desktop.sh"
    proc = subprocess.run(["bash", str(script), "--exec", str(program)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    installed = data / "applications" / f"{APP_ID}.desktop"
    e = desktop_entry(installed)
    assert e["Exec"] == f'"{program}"'  # quoted: the path has a space
    assert e["Icon"] == APP_ID and e["Name"] == "callviewer"
    assert (data / "metainfo" / f"{APP_ID}.metainfo.xml").read_bytes() == METAINFO.read_bytes()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for n in SIZES:
        assert png_size(data / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png") == (n, n)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    proc = subprocess.run(["bash", str(script), "--uninstall"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not installed.exists()
    assert not list(data.rglob(f"{APP_ID}*"))


def test_install_desktop_refuses_a_missing_program(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", str(PACKAGING / "linux" / "install-desktop.sh"), "--exec",
                           str(tmp_path / "nope")], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "not an executable" in proc.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.skipif(os.environ.get("CALLVIEWER_TEST_PACKAGING") != "1",
                    reason="builds the PyInstaller bundle (minutes): set CALLVIEWER_TEST_PACKAGING=1")
@pytest.mark.timeout(3600)
def test_build_and_smoke_run_the_bundle():
    proc = subprocess.run(["bash", str(PACKAGING / "build.sh")], capture_output=True, text=True,
                          cwd=ROOT, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "smoke: all passed" in proc.stderr


def test_a_regular_install_ships_every_resource():
    """pyproject.toml's data-files list every file of resources/ (but the voices' script), so a
    `pip install .` (not editable) has the icons and voices under <prefix>/share/callviewer."""
    import tomllib

    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {(Path(dest), Path(src).name) for dest, srcs in data_files.items() for src in srcs}
    for dest, srcs in data_files.items():
        for src in srcs:
            assert (ROOT / src).is_file(), src
            rel = Path(src).parent.relative_to("resources")
            assert Path(dest) == Path("share/callviewer/resources") / rel, (dest, src)
    wanted = {(Path("share/callviewer/resources") / p.parent.relative_to(ROOT / "resources"), p.name)
              for p in (ROOT / "resources").rglob("*") if p.is_file() and p.suffix != ".py"}
    assert wanted == shipped


def test_resources_are_found_under_the_install_prefix(tmp_path, monkeypatch):
    from callviewer import resources

    shared = tmp_path.joinpath(*resources.SHARED, "only-installed")
    shared.mkdir(parents=True)
    (shared / "x.txt").write_text("x")
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert resources.resource_path("only-installed", "x.txt") == shared / "x.txt"
    # what the source tree has wins; what is nowhere is named where the source tree's would be
    assert resources.resource_path("voices", "index.json") == ROOT / "resources" / "voices" / "index.json"
    assert resources.resource_path("nowhere.txt") == ROOT / "resources" / "nowhere.txt"
