"""The sandbox: a local, faithful stand-in for the AWS that Gangway talks to.

The app reaches it only through standard settings (``AWS_CONFIG_FILE``,
``AWS_SHARED_CREDENTIALS_FILE``, ``AWS_ENDPOINT_URL_<SERVICE>``, ``PATH``); nothing in ``app/``
knows it exists.

- ``server``: subprocess running moto and the ``gateway`` (credentials, SSM sessions and
  inventory, IAM simulation, MFA, SSO, faults) on random loopback ports.
- ``fleet``: the deterministic seeded fleet (``Fleet``/``Node``) tests compute expectations from.
- ``sshd``: a real OpenSSH server standing in for every node's port 22.
- ``plugin/session-manager-plugin``: the plugin stand-in (real argv contract).
- ``sandbox``: ``Sandbox.start()``/``stop()``, the ``Control`` client, profiles and env.

Tests use the ``sandbox`` and ``aws_env`` fixtures in ``tests/conftest.py``;
``scripts/demo.py`` uses ``Sandbox`` directly.
"""
