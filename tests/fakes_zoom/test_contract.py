"""Contract with the installed @zoom/meetingsdk 6.2.0: API names and parameters from embedded.d.ts, event names,
and the error strings of the shipped bundle. The toolbar's titles are held to the served bundle by
test_toolbar_contract.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser

from fakes.zoom import errors
from tests.fakes_zoom.app_page import AppPage
from tests.fakes_zoom.component_view_bundle import bundle_text, join_error_words
from tests.fakes_zoom.dts import parse_namespace
from tests.fakes_zoom.harness import FakeZoom
from tests.fakes_zoom.package import PACKAGE_DIR, embedded_bundle
from tests.support.servers import RunningServer

SDK_DIR = Path(__file__).resolve().parents[2] / "fakes/zoom/static/sdk"

DESCRIBE = """() => {
  const describe = (fn) => ({ source: Function.prototype.toString.call(fn), length: fn.length });
  const client = ZoomMtgEmbedded.createClient();
  const out = { client: {}, clientValues: [], statics: {}, staticValues: {} };
  const proto = Object.getPrototypeOf(client);
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name !== 'constructor') out.client[name] = describe(proto[name]);
  }
  for (const name of Object.keys(client)) {
    if (typeof client[name] === 'function') out.client[name] = describe(client[name]);
    else out.clientValues.push(name);
  }
  for (const name of Object.keys(ZoomMtgEmbedded)) {
    if (typeof ZoomMtgEmbedded[name] === 'function') out.statics[name] = describe(ZoomMtgEmbedded[name]);
    else out.staticValues[name] = ZoomMtgEmbedded[name];
  }
  return out;
}"""


def js_parameters(source: str) -> list[tuple[str, bool]]:
    """(name, has default) of each parameter of a function or method, from its source text."""
    match = re.match(r"[^(]*\(([^)]*)\)", source)
    assert match is not None, source
    params = []
    for raw in filter(None, (part.strip() for part in match.group(1).split(","))):
        name, _, default = raw.partition("=")
        params.append((name.strip(), bool(default.strip())))
    return params


def test_the_dts_parser_reads_a_realistic_surface() -> None:
    client = parse_namespace("EmbeddedClient")
    assert len(client) >= 60
    assert {"init", "join", "leaveMeeting", "getUserStatus", "joinBreakoutRoom", "on", "off"} <= set(client)
    assert len(client["on"]) >= 20  # one overload per event
    assert client["mute"][0].names == ("mute", "userId") and client["mute"][0].required == 1
    assert client["openBreakoutRooms"][0].required == 1
    statics = parse_namespace("ZoomMtgEmbedded")
    assert set(statics) == {"createClient", "destroyClient"}


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_every_member_has_the_declared_name_and_parameters(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom
) -> None:
    app = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        surface = await app.page.evaluate(DESCRIBE)
    finally:
        await app.close()
    declared = parse_namespace("EmbeddedClient")
    assert surface["clientValues"] == []
    undeclared = sorted(set(surface["client"]) - set(declared))
    assert undeclared == [], "members that embedded.d.ts does not declare"
    # The stand-in implements the whole declared surface.
    assert sorted(set(declared) - set(surface["client"])) == []
    for name, described in surface["client"].items():
        params = js_parameters(described["source"])
        names = tuple(p for p, _ in params)
        overloads = declared[name]
        matching = [sig for sig in overloads if sig.names == names]
        assert matching, f"{name}{names} vs declared {[sig.names for sig in overloads]}"
        signature = matching[0]
        assert described["length"] == signature.required, f"{name}: required parameters"
        assert [has_default for _, has_default in params] == [p.optional for p in signature.params], name
    statics = parse_namespace("ZoomMtgEmbedded")
    assert set(surface["statics"]) == set(statics)
    for name, described in surface["statics"].items():
        assert tuple(p for p, _ in js_parameters(described["source"])) == statics[name][0].names
    assert surface["staticValues"] == {"VERSION": "6.2.0"}
    assert '"version": "6.2.0"' in (PACKAGE_DIR / "package.json").read_text()


def test_event_names_are_the_declared_ones() -> None:
    dts = (PACKAGE_DIR / "embedded.d.ts").read_text()
    declared = set(re.findall(r"function on\(\s*event: '([^']+)'", dts))
    core = (SDK_DIR / "core.js").read_text()
    block = core[core.index("const PUBLIC_EVENTS") : core.index("]);", core.index("const PUBLIC_EVENTS"))]
    implemented = set(re.findall(r"'([a-z-]+)'", block))
    assert len(declared) >= 20
    assert implemented == declared


def test_reasons_are_strings_of_the_shipped_bundle() -> None:
    bundle = embedded_bundle()
    in_bundle = [
        errors.CROSS_ACCOUNT,
        errors.ANONYMOUS_JOIN,
        errors.NO_OBF_TOKEN,
        errors.OBF_INVALID,
        errors.OBF_OTHER_MEETING,
        errors.RECORDING_TOKEN_EXPIRED,
        errors.AUTHORIZER_ABSENT,
        errors.CREDENTIALS_CONFLICT,
        errors.MEETING_ENDED,
        errors.MEETING_FULL,
        errors.MEETING_LOCKED,
        errors.INFORMATION_BARRIER,
        errors.PARTICIPANT_EXISTS,
    ]
    for refusal in in_bundle:
        assert f'{{"{refusal.reason}":{refusal.error_code}}}' in bundle, refusal
    for reason in (
        errors.CLOSED_KICKED,
        errors.CLOSED_ENDED,
        errors.CLOSED_DUPLICATED,
        errors.CLOSED_USER_REQUEST,
        errors.CLOSED_MASTER_LEFT,
    ):
        assert f'{{reason:"{reason}"}}' in bundle, reason
    for failure in (
        errors.BO_NOT_STARTED,
        errors.BO_NO_HOST,
        errors.BO_ROOM_ID_WRONG,
        errors.BO_EXIT_RESTRICTED,
        errors.HOST_ONLY,
        errors.HOST_OR_COHOST_ONLY,
        errors.USER_NOT_FOUND,
    ):
        assert f'reason:"{failure.reason}"' in bundle, failure
    for reconnect in (
        errors.RECONNECT_ON_HOLD,
        errors.RECONNECT_FAILOVER,
        errors.RECONNECT_JOIN_BO,
        errors.RECONNECT_MOVE_BO,
        errors.RECONNECT_BACK_TO_MAIN,
    ):
        assert f'="{reconnect}"' in bundle, reconnect
    assert "appKey can not empty in the signature" in bundle
    assert "zak and obfToken are mutually exclusive. Please provide only one." in bundle


# Web-API refusals: (refusal, the bundle's key for its words, how the bundle's code table names its code).
WEB_REFUSALS = [
    (errors.SDK_OUTDATED, "apac.errorcodes_meeting_websdk_version_need_update", "e[e.Upgrade=1e4]"),
    (errors.RECAPTCHA_REQUIRED, "apac.errorcodes_frequent_join", "e[e.FrequentJoin=3634]"),
    (errors.LOGIN_REQUIRED, "apac.errorcodes_login_required", '3100:{"apac.errorcodes_login_required":3100}'),
    (errors.LOGIN_REQUIRED_SSO, "apac.errorcodes_login_required", '3501:{"apac.errorcodes_login_required":3082}'),
    (errors.USER_REMOVED_WEB, "apac.errorcodes_be_removed", '3009:{"apac.errorcodes_be_removed":3009}'),
    (errors.API_KEY_DEACTIVATED, "apac.errorcodes_pac_api_disabled", '"apac.errorcodes_pac_api_disabled":3710'),
]


@pytest.mark.parametrize(
    ("refusal", "key", "code_source"), WEB_REFUSALS, ids=lambda v: str(getattr(v, "error_code", ""))
)
def test_web_refusals_are_the_served_bundles_words_and_codes(
    refusal: errors.JoinRefusal, key: str, code_source: str
) -> None:
    assert join_error_words()[key] == refusal.reason
    assert code_source in bundle_text()
    assert errors.refusal_for_code(refusal.error_code) == refusal
