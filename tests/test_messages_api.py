"""What an API client reads, in Chinese and in English: a payload error, a permission
refusal, a not-found, a limit, graphql-core's validation, an invalid argument, the HTTP
layer's refusals and Strawberry's limits. The same code in every language."""

from pathlib import Path
from typing import Any

import pytest

from bangfu.core import i18n, idnumber
from bangfu.core.security import Role
from bangfu.testing import Harness
from tests.helpers import (
    CREATE_HOUSEHOLD,
    XIANGFEN_VILLAGE,
    World,
    create_household,
    id_number,
    make_world,
)

pytestmark = pytest.mark.anyio

#: How a request chooses its language: Accept-Language zh-CN, none (the setting, zh
#: here) or en; and the language the answer must be in.
LANGUAGES = [("zh-CN", "zh"), (None, "zh"), ("en", "en")]


def _wrong_check_character() -> str:
    number = id_number()
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def _members(id_number_: str) -> dict[str, Any]:
    head = {"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number_}}
    return {"input": {"regionCode": XIANGFEN_VILLAGE, "members": [head]}}


MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) { errors { field code message } }
}"""

#: (request, the error's code, what it says in Chinese, in English). A request is
#: (document, variables, the actor: "xiangfen", "supervisor" or None).
CASES: dict[str, tuple[tuple[str, dict[str, Any], str | None], str | None, str, str]] = {
    "payload error": (
        (CREATE_HOUSEHOLD, {}, "xiangfen"),
        "INVALID_ID_NUMBER",
        "最后一位校验码与前 17 位不符，可能有数字输错：请与身份证原件逐位核对",
        "the check character (the last one) does not match the other 17: a digit was "
        "probably mistyped; compare the number with the ID card",
    ),
    "login refused (the README's example)": (
        (
            'mutation { login(username: "nobody", password: "wrong") { errors { code message } } }',
            {},
            None,
        ),
        "INVALID_CREDENTIALS",
        "用户名或密码错误",
        "wrong user name or password",
    ),
    "permission": (
        (CREATE_HOUSEHOLD, {}, "supervisor"),
        "FORBIDDEN",
        "您没有 registry:write 权限",
        "you are not allowed to registry:write",
    ),
    "not found, an invalid ID": (
        (
            MEMBER_ADD,
            {"input": {"householdId": "not-an-id", "relation": "CHILD", "personId": "x"}},
            "xiangfen",
        ),
        "NOT_FOUND",
        "找不到此 ID 对应的人员",
        "no Person with this ID",
    ),
    "limit": (
        ("{ households(first: 1000) { totalCount } }", {}, "xiangfen"),
        "BAD_USER_INPUT",
        "first：必须在 1 到 100 之间",
        "first: must be between 1 and 100",
    ),
    "graphql-core validation": (
        ("{ households(first: 5) { nodes { nosuch } } }", {}, "xiangfen"),
        "GRAPHQL_VALIDATION_FAILED",
        "类型 'Household' 上没有字段 'nosuch'。",
        "Cannot query field 'nosuch' on type 'Household'.",
    ),
    "variable coercion": (
        ("query($n: Int!) { households(first: $n) { totalCount } }", {"n": "ten"}, "xiangfen"),
        "INVALID_VARIABLES",
        "变量 '$n' 的值无效：Int 类型只接受整数，收到的值为：'ten'",
        "Variable '$n' has invalid value: Int cannot represent non-integer value: 'ten'",
    ),
    "invalid argument": (
        ('{ households(first: 5, after: "zzz") { totalCount } }', {}, "xiangfen"),
        "BAD_USER_INPUT",
        "after：不是有效的分页游标",
        "after: not a valid cursor",
    ),
    "unknown region": (
        ('{ bottomLineSummary(regionCode: "999999") { __typename } }', {}, "xiangfen"),
        "BAD_USER_INPUT",
        "regionCode：行政区划代码 '999999' 不存在",
        "regionCode: unknown region code '999999'",
    ),
}


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    """The first error: a payload's, or the response's."""
    for payload in (answer.get("data") or {}).values():
        if isinstance(payload, dict) and payload.get("errors"):
            return dict(payload["errors"][0])
    error = answer["errors"][0]
    return {"message": error["message"], "code": (error.get("extensions") or {}).get("code")}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_client_reads_its_language_with_the_same_code(
    tmp_path: Path, database_url: str | None, case: str
) -> None:
    (document, variables, actor), code, chinese, english = CASES[case]
    if document == CREATE_HOUSEHOLD:
        variables = _members(_wrong_check_character() if actor == "xiangfen" else id_number())
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"language": "zh"}
    ) as harness:
        world: World = await make_world(harness)
        token = getattr(world, actor) if actor else None
        for header, spoken in LANGUAGES:
            response = await harness.post(document, variables, token=token, language=header)
            error = _error(response.json())
            expected = chinese if spoken == "zh" else english
            assert (error["message"], error["code"]) == (expected, code), (header, case)
            assert response.headers["Content-Language"] == ("zh-Hans" if spoken == "zh" else "en")


async def test_the_transport_answers_in_the_language(harness: Harness) -> None:
    """The HTTP layer's refusals (bangfu/http.py) and the login the service demands."""
    cases = [
        (
            {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "请求体必须是 JSON（Content-Type: application/json）",
            "the request body must be JSON (Content-Type: application/json)",
        ),
        (
            {"content": b"{nope", "headers": {"Content-Type": "application/json"}},
            400,
            "BAD_REQUEST",
            "请求体不是有效的 JSON",
            "the request body is not valid JSON",
        ),
        (
            {"json": [{"query": "{ __typename }"}]},
            400,
            "BAD_REQUEST",
            "不支持批量请求（JSON 数组）：请每次发送一个请求",
            "batched requests (a JSON array) are not supported: send one",
        ),
    ]
    for request, status, code, chinese, english in cases:
        for language, expected in (("zh-CN", chinese), ("en", english)):
            headers = {**request.get("headers", {}), "Accept-Language": language}
            response = await harness.client.post(
                "/graphql", **{k: v for k, v in request.items() if k != "headers"}, headers=headers
            )
            assert response.status_code == status
            error = response.json()["errors"][0]
            assert (error["message"], error["extensions"]["code"]) == (expected, code)
    for language, expected in (
        ("zh-CN", "需要登录：请先登录，并在请求头中以 'Authorization: Bearer ...' 发送令牌"),
        ("en", "authentication required: log in and send the token as 'Authorization: Bearer ...'"),
    ):
        response = await harness.client.post(
            "/graphql",
            json={"query": "{ households(first: 1) { totalCount } }"},
            headers={"Accept-Language": language},
        )
        error = response.json()["errors"][0]
        assert (response.status_code, error["message"]) == (401, expected)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("settings", "document", "chinese", "english"),
    [
        (
            {"max_query_depth": 3},
            "{ households(first: 1) { nodes { members { person { name } } } } }",
            "操作 'anonymous' 的嵌套深度超过上限 3 层：请减少查询的嵌套层数",
            "'anonymous' exceeds maximum operation depth of 3",
        ),
        (
            {"max_aliases": 1},
            "{ a: __typename b: __typename }",
            "查询使用了 2 个别名，最多允许 1 个",
            "2 aliases found. Allowed: 1",
        ),
        (
            {"introspection": False},
            "{ __schema { __typename } }",
            "本服务已关闭 GraphQL 自省查询，但请求中包含字段 '__schema'。",
            "GraphQL introspection has been disabled, but the requested query contained the "
            "field '__schema'.",
        ),
        (
            {"max_directives": 1},
            "{ __typename @include(if: true) @skip(if: false) }",
            "查询文档使用了 2 个指令，最多允许 1 个",
            "the document uses 2 directives; at most 1 are allowed",
        ),
    ],
)
async def test_strawberry_and_the_limits_answer_in_the_language(
    tmp_path: Path, settings: dict[str, Any], document: str, chinese: str, english: str
) -> None:
    """The same document twice in each language: a limit's refusal is kept per document
    (schema/limits.py), never in the language of the first request that met it."""
    async with Harness.start(tmp_path, settings={"language": "zh", **settings}) as h:
        token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR], region="141000")
        for language, expected in (("zh-CN", chinese), ("en", english), (None, chinese)) * 2:
            answer = (await h.post(document, token=token, language=language)).json()
            assert [e["message"] for e in answer["errors"]] == [expected]


async def test_the_id_number_messages_tell_the_clerk_what_to_do() -> None:
    """The messages a clerk reads for a mistyped ID number say how to fix it."""

    def reason(raw: str, language: str) -> str:
        with i18n.speaking(language), pytest.raises(idnumber.IdNumberError) as refused:
            idnumber.parse(raw)
        return refused.value.reason

    feb_30 = "14102319850230123"
    feb_30 += idnumber.check_character(feb_30)
    assert reason(feb_30, "zh") == (
        "出生日期（第 7 至 14 位）不是真实存在的日期：请与身份证原件核对这 8 位数字"
    )
    assert reason(feb_30, "en") == (
        "the birth date (the 8 digits from the 7th) is not a real calendar date: check those "
        "8 digits against the ID card"
    )
    assert reason("1410231985", "zh") == (
        "身份证号为 10 位，应为 18 位（一代身份证为 15 位数字）：请与身份证原件核对"
    )


async def test_unknown_operation_name_from_strawberry(harness: Harness) -> None:
    response = await harness.client.post(
        "/graphql",
        json={"query": "query Q { __typename }", "operationName": "Z"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 200  # application/json: a request error is 200
    error = response.json()["errors"][0]
    assert error["message"] == "文档中没有名为 'Z' 的操作"
    assert error["extensions"]["code"] == "OPERATION_NOT_FOUND"


@pytest.mark.parametrize("compiled", [True, False])
async def test_a_refused_field_reads_the_same_on_both_paths(
    tmp_path: Path, database_url: str | None, compiled: bool
) -> None:
    """Compiled execution (schema/compiled.py) refuses with the ordinary path's message,
    in the request's language."""
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"language": "zh", "compiled": compiled}
    ) as h:
        world = await make_world(h)
        await create_household(h, world.xiangfen)
        document = "{ households(first: 5) { nodes { members { person { name birthDate } } } } }"
        for language, expected in (
            ("zh-CN", "查看此敏感字段需要 registry:read-sensitive 权限"),
            (None, "查看此敏感字段需要 registry:read-sensitive 权限"),
            ("en", "this sensitive field needs registry:read-sensitive"),
        ):
            answer = (await h.post(document, token=world.supervisor, language=language)).json()
            refusals = {(e["message"], e["extensions"]["code"]) for e in answer["errors"]}
            assert refusals == {(expected, "FORBIDDEN")}
