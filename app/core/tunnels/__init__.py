"""Saved tunnels: definitions, their states, and the supervisor that keeps each local port usable.

- `spec`: `TunnelSpec` (what a tunnel is), validation, the `open` template.
- `states`: `TunnelState` and `TunnelStatus` (what a tunnel is doing, in user words).
- `book`: the local tunnels file (versioned JSON, locked, atomic), import/export, basti import.
- `catalog`: the read-only team catalog from SSM Parameter Store.
- `relay`: the local listener Gangway owns, relaying each connection to the plugin's port.
- `opener`: how one session is started (target resolved, StartSession, the plugin run).
- `supervisor`: `TunnelSupervisor`, the one owner of every tunnel's port, session and plugin.
- `reaper`: plugins recorded at start, reaped at the next start after a crash.

No Qt here: the window talks to the supervisor through a bridge, the CLI (`gangway tunnel run`)
directly.
"""
