"""The one vocabulary of what a user can do with an instance.

The Instances menu and keys, the terminal launcher (`launch`), the capability check
(`discovery.capabilities`) and the tunnels all speak it. Some actions are variants of another
for the capability check (`gate`): a shell with a reason is still a shell, SCP upload and
download are SCP, copying the SSH command needs SSH.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    SHELL = "shell"
    SHELL_REASON = "shell-reason"  # a shell, asking for an audit reason first
    SHELL_COMMAND = "shell-command"  # one command instead of a shell
    SSH = "ssh"
    SFTP = "sftp"
    SCP = "scp"  # the copy dialog, either way
    SCP_UPLOAD = "scp-upload"
    SCP_DOWNLOAD = "scp-download"
    COPY_SSH = "copy-ssh"
    PORT_FORWARD = "port-forward"
    REMOTE_PORT_FORWARD = "remote-port-forward"
    RDP = "rdp"

    @property
    def gate(self) -> Action:
        """The action whose capability decides whether this one is possible."""
        return _GATES.get(self, self)

    @property
    def label(self) -> str:
        """How an error names it: "SSH is not possible on web-1: …"."""
        return _LABELS.get(self, self.value)


_GATES = {Action.SHELL_REASON: Action.SHELL, Action.SHELL_COMMAND: Action.SHELL,
          Action.SCP_UPLOAD: Action.SCP, Action.SCP_DOWNLOAD: Action.SCP,
          Action.COPY_SSH: Action.SSH}
_LABELS = {Action.SHELL: "a shell", Action.SHELL_REASON: "a shell",
           Action.SHELL_COMMAND: "a command", Action.SSH: "SSH", Action.SFTP: "SFTP",
           Action.SCP: "SCP", Action.SCP_UPLOAD: "SCP", Action.SCP_DOWNLOAD: "SCP",
           Action.COPY_SSH: "SSH", Action.PORT_FORWARD: "port forwarding",
           Action.REMOTE_PORT_FORWARD: "forwarding to a remote host",
           Action.RDP: "remote desktop"}
