"""What build.spec keeps of botocore's data: every file the listed services load, and no other
service. Checked against the installed botocore, through its own loader."""

from __future__ import annotations

from pathlib import Path

import botocore
import botocore.session

from app.core.aws.bundled import SERVICES, SHARED_FILES, keep_data_file


def _dest(path: Path) -> str:
    root = Path(botocore.__file__).parent.parent
    return path.relative_to(root).as_posix()


def test_kept_files_are_the_services_and_shared_tables_only() -> None:
    data = Path(botocore.__file__).parent / "data"
    kept = {_dest(p) for p in data.rglob("*") if p.is_file() and keep_data_file(_dest(p))}
    services = {d.split("/")[2] for d in kept if d.count("/") > 2}
    assert services == set(SERVICES)
    top = {d.split("/")[2].removesuffix(".gz") for d in kept if d.count("/") == 2}
    assert top == set(SHARED_FILES)
    assert not any("/examples-" in d for d in kept)
    assert keep_data_file("botocore/cacert.pem") and keep_data_file("app/ui/smoke.py")
    assert not keep_data_file("botocore/data/s3/2006-03-01/service-2.json.gz")
    assert not keep_data_file("boto3/data/s3/2006-03-01/resources-1.json")


def test_every_kept_service_model_is_one_botocore_knows() -> None:
    session = botocore.session.get_session()
    available = set(session.get_available_services())
    assert set(SERVICES) <= available
    for service in SERVICES:
        model = session.get_service_model(service)
        assert model.service_name == service
