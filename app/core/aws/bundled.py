"""The botocore data a frozen Gangway ships: the services it calls and the shared tables.

build.spec keeps only these in the bundle (botocore's full data is ~28 MB), and
`gangway --smoke-test` loads each model back, so a service added to the code but not here
fails the frozen app's smoke test instead of a user's first click.
"""

from __future__ import annotations

# Every client Gangway (or a library it drives) creates.
SERVICES: tuple[str, ...] = (
    "ec2", "ssm", "sts", "iam", "sso", "sso-oidc", "ec2-instance-connect",
)

# botocore/data/<file>: endpoints, partitions, defaults and retry rules every client reads.
SHARED_FILES: tuple[str, ...] = (
    "endpoints.json", "partitions.json", "sdk-default-configuration.json", "_retry.json",
)


def keep_data_file(dest: str) -> bool:
    """Whether a bundled file at `dest` (e.g. "botocore/data/ec2/2016-11-15/service-2.json.gz")
    is kept. Files outside botocore/data and boto3/data are always kept."""
    parts = dest.replace("\\", "/").split("/")
    if len(parts) < 3 or parts[0] not in ("botocore", "boto3") or parts[1] != "data":
        return True
    if len(parts) == 3:  # a shared table at the top of data/
        return parts[2].removesuffix(".gz") in SHARED_FILES
    # examples-1.json feeds botocore's documentation generator only
    return parts[2] in SERVICES and not parts[-1].startswith("examples-")
