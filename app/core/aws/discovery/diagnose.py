"""Why one instance can or cannot be reached, each reason with its fix.

Built from what discovery already learned for the row (EC2 state, SSM registration and ping,
agent version, the simulated ssm:StartSession verdict), so it needs no AWS call. Fixes are
the IAM statement to add, the agent update command, the instance profile to attach.
"""

from __future__ import annotations

from app.core.aws import policies
from app.core.aws.discovery import capabilities as caps
from app.core.aws.discovery.permissions import Access
from app.core.aws.discovery.rows import InstanceRow
from app.core.checks import Check, Fix, Status
from app.core.quoting import posix_join
from app.core.versions import at_least

MULTIPLEX_MIN_AGENT = "3.0.222.0"  # the agent's port plugin multiplexes TCP from this release
_SSM_DOCS = "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
AGENT_DOCS = _SSM_DOCS + "ssm-agent.html"
SETUP_DOCS = _SSM_DOCS + "setup-instance-permissions.html"
CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def _name(row: InstanceRow) -> str:
    return f"{row.name} ({row.instance_id})" if row.name else row.instance_id


def update_agent_command(row: InstanceRow) -> str:
    """Run AWS-UpdateSSMAgent on this instance (argv quoted: ids and regions are AWS text)."""
    return posix_join(["aws", "ssm", "send-command", "--region", row.region, "--instance-ids",
                       row.instance_id, "--document-name", "AWS-UpdateSSMAgent"])


def _running(row: InstanceRow) -> Check:
    if not row.state or row.state == "running":
        return Check("Running", Status.OK, row.state or "on-premises node", "", essential=True)
    start = posix_join(["aws", "ec2", "start-instances", "--region", row.region,
                        "--instance-ids", row.instance_id])
    return Check("Running", Status.MISSING, f"the instance is {row.state}",
                 "Start the instance; sessions need it running.", essential=True,
                 fix=Fix((start,)))


def _managed(row: InstanceRow) -> Check:
    if row.managed:
        return Check("Managed by Systems Manager", Status.OK, "the SSM agent has registered", "",
                     essential=True)
    attach = posix_join(["aws", "iam", "attach-role-policy", "--role-name", "<instance-role>",
                         "--policy-arn", CORE_POLICY])
    return Check("Managed by Systems Manager", Status.MISSING,
                 "no SSM agent has registered this instance",
                 "Give the instance a role with the agent's permissions (the instance-profile "
                 "policy below, or AmazonSSMManagedInstanceCore), and make sure the SSM agent "
                 "is installed and can reach the ssm, ssmmessages and ec2messages endpoints.",
                 essential=True, fix=Fix((attach,), (SETUP_DOCS,),
                                         policies.instance_profile_policy()))


def _online(row: InstanceRow) -> Check:
    if not row.managed or row.ping_status == "Online":
        status = Status.OK if row.managed else Status.MISSING
        return Check("Agent online", status, caps.agent_words(row.ping_status) if row.managed
                     else "no agent registered", "", essential=True)
    windows = row.platform.lower().startswith("windows")
    restart = ("Restart-Service AmazonSSMAgent" if windows
               else "sudo systemctl restart amazon-ssm-agent")
    return Check("Agent online", Status.MISSING,
                 caps.agent_problem(row.ping_status, row.last_ping)[0],
                 "The agent has stopped reporting: restart it on the instance (console, EC2 "
                 "serial console or your configuration tool) and check its network path to "
                 f"ssm.{row.region}.amazonaws.com.", essential=True,
                 fix=Fix((restart,), (AGENT_DOCS,)))


def _agent(row: InstanceRow, label: str, need: str) -> Check:
    version = row.agent_version or "unknown"
    if at_least(row.agent_version, need):
        return Check(label, Status.OK, f"agent {version} (needs {need})", "", essential=False)
    return Check(label, Status.WARN, f"agent {version} is older than {need}",
                 "Update the SSM agent on the instance.", essential=False,
                 fix=Fix((update_agent_command(row),), (AGENT_DOCS,)))


def _permission(row: InstanceRow, account: str, partition: str) -> Check:
    perm = row.permission
    if perm.access is Access.ALLOWED:
        return Check("Permission (simulated)", Status.OK, "ssm:StartSession is allowed", "",
                     essential=True)
    arn = f"arn:{partition}:ec2:{row.region}:{account or '*'}:instance/{row.instance_id}"
    statement = policies.start_session_statement([arn], policies.SESSION_DOCUMENTS, partition)
    if perm.access is Access.DENIED:
        return Check("Permission (simulated)", Status.MISSING,
                     f"ssm:StartSession is denied{': ' + perm.reason if perm.reason else ''}",
                     "Ask an administrator to add this statement to your IAM policy (an "
                     "explicit Deny elsewhere still wins).", essential=True,
                     fix=Fix(statement=statement))
    return Check("Permission (simulated)", Status.WARN, f"not checked: {perm.reason}",
                 "The policy simulator could not be asked; if connecting fails with "
                 "AccessDenied, this statement is what you need.", essential=False,
                 fix=Fix(statement=statement))


def instance_checks(row: InstanceRow, account: str = "", partition: str = "aws") -> list[Check]:
    """Everything that decides whether `row` can be reached, in the order to fix it."""
    checks = [_running(row), _managed(row), _online(row)]
    if row.managed:
        windows = row.platform.lower().startswith("windows")
        if not windows:
            checks.append(_agent(row, "Agent supports SSH", caps.SSH_MIN_AGENT))
        checks += [_agent(row, "Agent supports port forwarding", caps.PORT_FORWARD_MIN_AGENT),
                   _agent(row, "Agent supports forwarding to a remote host",
                          caps.REMOTE_HOST_MIN_AGENT),
                   _agent(row, "Agent multiplexes forwarded connections", MULTIPLEX_MIN_AGENT)]
    checks.append(_permission(row, account, partition))
    return checks


def title(row: InstanceRow) -> str:
    return _name(row)
