#!/usr/bin/env bash
# Puts callviewer into the desktop's application menu for the current user (XDG, no root):
# the .desktop file, the AppStream metainfo and the icons, under ${XDG_DATA_HOME:-~/.local/share}.
#
#   packaging/linux/install-desktop.sh [--exec PROGRAM]   # install (or update)
#   packaging/linux/install-desktop.sh --uninstall        # remove what it installed
#
# PROGRAM is what the menu entry runs. By default: `callviewer` when it is on PATH, else this
# checkout's .venv/bin/callviewer (a pip/venv install), else its dist/callviewer/callviewer
# (the PyInstaller bundle that packaging/build.sh makes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
app_id=ai.callviewer.CallViewer
data=${XDG_DATA_HOME:-$HOME/.local/share}
sizes=(16 32 48 64 128 256 512)

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

program=""
uninstall=0
while (($#)); do
  case $1 in
    --exec) program=${2:?--exec needs a program}; shift 2 ;;
    --exec=*) program=${1#--exec=}; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-desktop: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

refresh() {  # the menu and icon caches; optional, and harmless where the tools are missing
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [[ -f $data/icons/hicolor/index.theme ]]; then
    gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
  fi
}

if ((uninstall)); then
  rm -f "$data/applications/$app_id.desktop" "$data/metainfo/$app_id.metainfo.xml" \
        "$data/icons/hicolor/scalable/apps/$app_id.svg"
  for n in "${sizes[@]}"; do
    rm -f "$data/icons/hicolor/${n}x${n}/apps/$app_id.png"
  done
  refresh
  echo "install-desktop: removed $app_id from $data"
  exit 0
fi

if [[ -z $program ]]; then
  if command -v callviewer >/dev/null 2>&1; then
    program=callviewer
  elif [[ -x $root/.venv/bin/callviewer ]]; then
    program=$root/.venv/bin/callviewer
  elif [[ -x $root/dist/callviewer/callviewer ]]; then
    program=$root/dist/callviewer/callviewer
  else
    echo "install-desktop: no callviewer program found (not on PATH, no .venv, no dist/ bundle);" \
         "install it first or pass --exec PROGRAM" >&2
    exit 1
  fi
fi
if [[ $program == */* ]]; then
  [[ -x $program ]] || { echo "install-desktop: $program is not an executable file" >&2; exit 1; }
  program=$(cd "$(dirname "$program")" && pwd)/$(basename "$program")
fi
# The Exec key's quoting (Desktop Entry spec): double quotes around an argument with reserved
# characters, and \ " ` $ escaped inside them.
exec_value=$program
plain='^[A-Za-z0-9_./+,:@-]+$'
if ! [[ $program =~ $plain ]]; then
  # quote it: \ " ` $ get a backslash, then every backslash is doubled (the string escape
  # applies first), and % is written %%
  escaped=$(printf '%s' "$program" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')
  exec_value="\"$escaped\""
fi

mkdir -p "$data/applications" "$data/metainfo" "$data/icons/hicolor/scalable/apps"
desktop=$data/applications/$app_id.desktop
# Replace only the Exec line; every other line is the packaged file as it is. (sed's own
# replacement text needs \ and & escaped.)
sed_value=$(printf '%s' "$exec_value" | sed -e 's/[\\&|]/\\&/g')
sed "s|^Exec=.*|Exec=$sed_value|" "$here/$app_id.desktop" > "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
install -m 644 "$here/$app_id.metainfo.xml" "$data/metainfo/$app_id.metainfo.xml"
install -m 644 "$root/resources/icons/$app_id.svg" "$data/icons/hicolor/scalable/apps/$app_id.svg"
for n in "${sizes[@]}"; do
  mkdir -p "$data/icons/hicolor/${n}x${n}/apps"
  install -m 644 "$root/resources/icons/hicolor/${n}x${n}/apps/$app_id.png" \
                 "$data/icons/hicolor/${n}x${n}/apps/$app_id.png"
done
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$desktop"
fi
refresh
echo "install-desktop: installed $app_id into $data (Exec=$exec_value)"
