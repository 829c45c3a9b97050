#!/usr/bin/env bash
# macOS: sign Gangway.app (every Mach-O, inside out), notarize and staple it, wrap it in a dmg,
# then sign, notarize and staple the dmg. Called by scripts/package.py:
#   installers/macos/package.sh dist/Gangway.app dist      (GANGWAY_VERSION in the environment)
# Each step runs only when its secrets are present, and says plainly when it is skipped:
#   MACOS_SIGN_IDENTITY    "Developer ID Application: NAME (TEAMID)", already in a keychain
#                          (the release workflow imports the .p12 from its secrets)
#   MACOS_NOTARY_KEY_ID, MACOS_NOTARY_ISSUER, MACOS_NOTARY_KEY (the .p8 text of an App Store
#                          Connect API key: written to a 0600 file, never put on a command line)
set -euo pipefail
app="$1"
dist="$2"
version="${GANGWAY_VERSION:?GANGWAY_VERSION is not set}"
here="$(cd "$(dirname "$0")" && pwd)"
entitlements="$here/entitlements.plist"
dmg="$dist/Gangway-$version.dmg"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sign() {  # every Mach-O explicitly, inside out (codesign --deep is unreliable)
  local identity="$1" file
  local args=(--force --timestamp --options runtime --entitlements "$entitlements" --sign "$identity")
  # find -depth lists a folder's contents before the folder: files first, then the
  # .framework bundles that hold them, then the app itself.
  while IFS= read -r -d '' file; do
    if file -b "$file" | grep -q "Mach-O"; then codesign "${args[@]}" "$file"; fi
  done < <(find "$app/Contents" -depth -type f -print0)
  while IFS= read -r -d '' file; do
    codesign "${args[@]}" "$file"
  done < <(find "$app/Contents" -depth -type d -name "*.framework" -print0)
  codesign "${args[@]}" "$app"
  codesign --verify --strict --deep --verbose=2 "$app"
}

notarize() {  # notarytool submit --wait, then staple
  local target="$1" upload="$1"
  if [ -z "${MACOS_NOTARY_KEY_ID:-}" ] || [ -z "${MACOS_NOTARY_ISSUER:-}" ] || [ -z "${MACOS_NOTARY_KEY:-}" ]; then
    echo "macOS notarization skipped for $(basename "$target"): MACOS_NOTARY_KEY_ID, MACOS_NOTARY_ISSUER and MACOS_NOTARY_KEY are not all set"
    return 0
  fi
  local key="$work/notary.p8"
  (umask 077; printf '%s\n' "$MACOS_NOTARY_KEY" > "$key")
  if [ -d "$target" ]; then  # an .app is uploaded as a zip, and the ticket stapled to the .app
    upload="$work/$(basename "$target").zip"
    ditto -c -k --keepParent "$target" "$upload"
  fi
  xcrun notarytool submit "$upload" --key "$key" --key-id "$MACOS_NOTARY_KEY_ID" \
    --issuer "$MACOS_NOTARY_ISSUER" --wait
  xcrun stapler staple "$target"
  xcrun stapler validate "$target"
}

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  sign "$MACOS_SIGN_IDENTITY"
  notarize "$app"
else
  echo "macOS signing skipped: MACOS_SIGN_IDENTITY is not set (the app keeps PyInstaller's ad-hoc signature; Gatekeeper will warn)"
  echo "macOS notarization skipped: it needs a signed app"
fi

# The dmg: the app and a link to /Applications, read-only and compressed.
stage="$work/dmg"
mkdir -p "$stage"
ditto "$app" "$stage/Gangway.app"
ln -s /Applications "$stage/Applications"
rm -f "$dmg"
hdiutil create -volname "Gangway $version" -srcfolder "$stage" -fs HFS+ -format UDZO \
  -imagekey zlib-level=9 -ov "$dmg"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
  notarize "$dmg"
fi
echo "built $dmg"
