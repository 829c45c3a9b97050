# Replaces PyInstaller's hook-keyring.py, which bundles every backend module and keyring's
# metadata (so backends are found through entry points, which frozen apps get wrong:
# jaraco/keyring#324, #399, #468). Gangway names this OS's backends instead: they are listed in
# FROZEN_BACKENDS (app/core/secrets.py), which build.spec adds as hidden imports and which the
# frozen app imports before keyring chooses. No datas: no metadata, no entry points.
# On Linux the list is empty: the Secret Service is Gangway's own client (jeepney only), and
# build.spec excludes secretstorage and cryptography from the bundle.
hiddenimports: list[str] = []
datas: list[tuple[str, str]] = []
