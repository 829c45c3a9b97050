#!/bin/sh
# Install (or upgrade, or with --uninstall remove) this Gangway for the current user:
#   ~/.local/lib/gangway/          the program (replaced whole on upgrade)
#   ~/.local/bin/gangway           the stable path ~/.ssh/config and ~/.aws/config name
#   ~/.local/share/applications/gangway.desktop, ~/.local/share/icons/hicolor/.../gangway.*
# Settings and data (~/.config/gangway, ~/.local/share/gangway) are never touched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
lib="$HOME/.local/lib/gangway"
bin="$HOME/.local/bin/gangway"
desktop="$prefix/applications/gangway.desktop"

remove() {
  rm -rf "$lib"
  [ -L "$bin" ] && rm -f "$bin"
  rm -f "$desktop"
  find "$prefix/icons/hicolor" -path '*/apps/gangway.*' -delete 2>/dev/null || true
  # folders this script may have made, only if nothing else is in them
  find "$prefix/icons/hicolor" -type d -empty -delete 2>/dev/null || true
  rmdir "$prefix/icons" "$prefix/applications" "$prefix" "$HOME/.local/lib" "$HOME/.local/bin" \
    "$HOME/.local" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
  remove
  echo "Gangway removed. Your settings in ~/.config/gangway are kept."
  exit 0
fi
if pgrep -u "$(id -u)" -f "$lib/gangway" >/dev/null 2>&1; then
  echo "Gangway is running: quit it (tray menu > Quit Gangway) and run this again." >&2
  exit 1
fi
remove
mkdir -p "$(dirname "$lib")" "$(dirname "$bin")" "$(dirname "$desktop")"
cp -R "$here/gangway" "$lib"
ln -s "$lib/gangway" "$bin"
sed "s|^Exec=gangway|Exec=$bin|" "$here/share/applications/gangway.desktop" > "$desktop"
cp -R "$here/share/icons" "$prefix/"
echo "Gangway installed: $bin (add ~/.local/bin to PATH if it is not there)."
