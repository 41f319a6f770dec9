"""``bangfu organisation add|list`` and ``bangfu user create`` of a grassroots worker (R7)."""

from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bangfu.cli import main
from bangfu.core.registry.models import Organisation, OrganisationKind, Region, RegionLevel
from bangfu.core.security.models import AuditEvent, User
from tests.test_users_and_clients_cli import PASSWORD, env, query, refused, run_sql, stdin

__all__ = ["env"]  # the fixture, used by name

TOWNSHIP = "141023100"
VILLAGE = "141023100201"


def regions() -> None:
    run_sql(
        insert(Region).values(
            [
                {
                    "code": TOWNSHIP,
                    "name": "新城镇",
                    "level": RegionLevel.TOWNSHIP,
                    "parent_code": "141023",
                    "path": f"141000/141023/{TOWNSHIP}/",
                    "sort_key": 0,
                },
                {
                    "code": VILLAGE,
                    "name": "新城村",
                    "level": RegionLevel.VILLAGE,
                    "parent_code": TOWNSHIP,
                    "path": f"141000/141023/{TOWNSHIP}/{VILLAGE}/",
                    "sort_key": 0,
                },
            ]
        )
    )


def add(*arguments: str) -> list[str]:
    return ["organisation", "add", *arguments]


def test_organisation_add_and_list(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    regions()
    assert (
        main(
            add(
                "中共襄汾县新城镇委员会", "--kind", "township_party_committee", "--region", TOWNSHIP
            )
        )
        == 0
    )
    assert "added organisation 141023100-township-party-committee" in capsys.readouterr().out
    assert (
        main(
            add(
                "中共新城镇新城村支部委员会",
                "--kind",
                "VILLAGE_PARTY_BRANCH",
                "--region",
                VILLAGE,
                "--code",
                "xincheng-branch",
            )
        )
        == 0
    )
    assert (
        main(add("新城镇新城村村民委员会", "--kind", "VILLAGE_COMMITTEE", "--region", VILLAGE)) == 0
    )
    capsys.readouterr()
    saved = query(select(Organisation).where(Organisation.region_code.like("141023100%")))
    assert sorted((o.code, o.kind) for o in saved) == [
        ("141023100-township-party-committee", OrganisationKind.TOWNSHIP_PARTY_COMMITTEE),
        ("141023100201-village-committee", OrganisationKind.VILLAGE_COMMITTEE),
        ("xincheng-branch", OrganisationKind.VILLAGE_PARTY_BRANCH),
    ]
    audited = query(
        select(AuditEvent.operation).where(AuditEvent.operation == "cli:organisation.add")
    )
    assert len(audited) == 3

    assert main(["organisation", "list", "--region", TOWNSHIP]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["CODE", "KIND", "REGION", "NAME"]
    assert [line.split()[0] for line in lines[1:]] == [
        "141023100-township-party-committee",
        "xincheng-branch",
        "141023100201-village-committee",
    ]
    assert main(["organisation", "list", "--kind", "village_committee"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[:3] for line in lines] == [
        ["141023100201-village-committee", "VILLAGE_COMMITTEE", VILLAGE]
    ]
    assert main(["organisation", "list"]) == 0
    assert "141023-civil-affairs" in capsys.readouterr().out  # the reference data too


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (add("某村党支部", "--kind", "VILLAGE_PARTY_BRANCH", "--region", TOWNSHIP), "--region"),
        (add("某村党支部", "--kind", "VILLAGE_PARTY_BRANCH", "--region", "141023"), "--region"),
        (add("某村党支部", "--kind", "DEPARTMENT", "--region", VILLAGE), "--kind"),
        (add("某村党支部", "--kind", "NOTHING", "--region", VILLAGE), "--kind"),
        (add("某村党支部", "--kind", "VILLAGE_COMMITTEE", "--region", "999999"), "--region"),
        (add(" ", "--kind", "VILLAGE_COMMITTEE", "--region", VILLAGE), "NAME"),
        (
            add("某村", "--kind", "VILLAGE_COMMITTEE", "--region", VILLAGE, "--code", "a b"),
            "--code",
        ),
        (
            add(
                "某村",
                "--kind",
                "VILLAGE_COMMITTEE",
                "--region",
                VILLAGE,
                "--code",
                "141023-government",
            ),
            "--code",
        ),
    ],
)
def test_organisation_add_refusals_name_the_argument(
    env: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    expected: str,
) -> None:
    regions()
    before = query(select(func.count()).select_from(Organisation), scalars=False)
    assert f"argument {expected}:" in refused(capsys, arguments)
    assert query(select(func.count()).select_from(Organisation), scalars=False) == before


def user(username: str, organisation: str, region: str) -> list[str]:
    return [
        "user",
        "create",
        username,
        "--organisation",
        organisation,
        "--region",
        region,
        "--role",
        "grassroots_worker",
        "--password-stdin",
    ]


def test_a_grassroots_worker_belongs_to_a_township_or_village(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    regions()
    assert (
        main(
            add("中共新城镇新城村支部委员会", "--kind", "VILLAGE_PARTY_BRANCH", "--region", VILLAGE)
        )
        == 0
    )
    assert (
        main(
            add(
                "中共襄汾县新城镇委员会", "--kind", "TOWNSHIP_PARTY_COMMITTEE", "--region", TOWNSHIP
            )
        )
        == 0
    )
    capsys.readouterr()
    # A county-level organisation, or a county as the area: refused, nothing created.
    stdin(monkeypatch, PASSWORD + "\n")
    error = refused(capsys, user("zhangsan", "141023-civil-affairs", VILLAGE))
    assert "argument --organisation:" in error and "GRASSROOTS_WORKER" in error
    stdin(monkeypatch, PASSWORD + "\n")
    error = refused(capsys, user("zhangsan", "141023100-township-party-committee", "141023"))
    assert "argument --region:" in error
    assert query(select(func.count()).select_from(User), scalars=False) == 0

    for username, organisation, region in (
        ("cunganbu", "141023100201-village-party-branch", VILLAGE),
        ("zhenganbu", "141023100-township-party-committee", TOWNSHIP),
        ("zhucun", "141023100-township-party-committee", VILLAGE),  # stationed in a village
    ):
        stdin(monkeypatch, PASSWORD + "\n")
        assert main(user(username, organisation, region)) == 0
        created = query(select(User).where(User.username == username))[0]
        assert (created.roles, created.region_code) == (["GRASSROOTS_WORKER"], region)
