"""Schemathesis hooks for `npm run fuzz` (scripts/fuzz-api.ts loads them through SCHEMATHESIS_HOOKS).

Two jobs:

* Identity: every case is sent as one of the configured identities, drawn per case, so each role's
  view of every operation is exercised; a few cases go without a token or with a forged one. The
  identity travels in the X-Runway-Fuzz-Identity header (the API ignores it), so the report can
  split every operation's answers by identity.

* Steering: releases are stateful (one per service at a time, gates that only some identities can
  fill), so purely random cases would almost never reach an approval or a window override. A share
  of the *positive* cases (RUNWAY_FUZZ_CONFIG.steer) is aimed at the live state, read from the API
  itself: a start names a configured service, a decision targets a release waiting at a gate and is
  sent by someone who holds one of its missing seats, a rollback or an abort targets a release past
  its gates and is sent by someone with deploy there; any other operation is sent by someone who
  holds the role its document declares (x-runway-role). Steered cases carry X-Runway-Fuzz-Steered: 1,
  and the report counts them apart. Negative cases are never touched.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from typing import Any, Callable

import requests
import schemathesis

CONFIG: dict[str, Any] = json.loads(os.environ["RUNWAY_FUZZ_CONFIG"])
API_URL: str = CONFIG["apiUrl"]
# name -> {"token": str, "roles": {environment: [role, ...]}}
IDENTITIES: dict[str, dict[str, Any]] = CONFIG["identities"]
SERVICES: list[str] = CONFIG["services"]
# Services the stack runs a demo of: the only ones whose releases can reach their gates.
DRIVEN_SERVICES: list[str] = CONFIG["drivenServices"]
RELEASE_TYPES: list[str] = CONFIG["releaseTypes"]
ENVIRONMENTS: list[str] = CONFIG["environments"]
STEER: float = CONFIG["steer"]
# Identities whose grants let them start a release of the configured runbooks.
STARTERS: list[str] = CONFIG["starters"]
# Reads the live state for steering: someone who may read every environment.
OBSERVER: str = CONFIG["observer"]
# "METHOD /path" -> the role the operation requires (its x-runway-role in the document).
OPERATION_ROLES: dict[str, str] = CONFIG["operationRoles"]

IDENTITY_HEADER = "X-Runway-Fuzz-Identity"
STEERED_HEADER = "X-Runway-Fuzz-Steered"
ANONYMOUS = "(none)"
FORGED = "(forged)"
# Shares of cases sent without a token and with a token no identity has.
ANONYMOUS_SHARE = 0.04
FORGED_SHARE = 0.03
# Steered decisions approve this often, so some releases go on to their window and its override.
APPROVE_SHARE = 0.75
# Steered starts are regular releases this often; the rest draw any type the fixture can start.
REGULAR_SHARE = 0.75
STATE_TTL_SECONDS = 1.0
DAY_SECONDS = 86_400
# Calendar ranges start within the calendar's holiday data (2026, in the shipped configuration).
CALENDAR_FROM = 1_767_225_600  # 2026-01-01T00:00:00Z
# Schemathesis sends an operation's cases together, and a release needs a few seconds to reach its
# gate, so without help the decisions would mostly come while no release waits for one.
# A steered decision that finds none drives one there (see _drive); the time this takes in the
# whole run is capped, so it cannot take the run over.
WAIT_BUDGET_SECONDS: float = CONFIG["waitBudgetSeconds"]

_random = random.Random(CONFIG["seed"])
_lock = threading.Lock()
_session = requests.Session()
_state: dict[str, Any] = {"at": 0.0, "releases": [], "waited": 0.0}


def _draw(items: list[Any]) -> Any:
    with _lock:
        return _random.choice(items)


def _chance(share: float) -> bool:
    with _lock:
        return _random.random() < share


def _draw_identity() -> str:
    with _lock:
        roll = _random.random()
        if roll < ANONYMOUS_SHARE:
            return ANONYMOUS
        if roll < ANONYMOUS_SHARE + FORGED_SHARE:
            return FORGED
        return _random.choice(sorted(IDENTITIES))


def _send_as(case: Any, identity: str) -> None:
    headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "authorization"}
    if identity == FORGED:
        headers["Authorization"] = "Bearer rw_forged_00000000000000000000"
    elif identity != ANONYMOUS:
        headers["Authorization"] = f"Bearer {IDENTITIES[identity]['token']}"
    headers[IDENTITY_HEADER] = identity
    case.headers = headers


@schemathesis.auth(refresh_interval=None, retry_on=[])
class RotatingIdentity:
    """A new identity for every case; a 401 is an answer to record, never a reason to retry."""

    def get(self, case: Any, context: Any) -> str:
        return _draw_identity()

    def set(self, case: Any, data: str, context: Any) -> None:
        _send_as(case, data)


def _api_get(path: str) -> Any:
    token = IDENTITIES[OBSERVER]["token"]
    response = _session.get(f"{API_URL}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return response.json() if response.status_code == 200 else None


def _releases(fresh: bool = False) -> list[dict[str, Any]]:
    """The newest releases, at most STATE_TTL_SECONDS old."""
    with _lock:
        if not fresh and time.monotonic() - _state["at"] < STATE_TTL_SECONDS:
            return _state["releases"]
    listed = _api_get("/api/v1/releases?limit=200")
    releases = listed["releases"] if listed else []
    with _lock:
        _state.update(at=time.monotonic(), releases=releases)
    return releases


def _release(release_id: str) -> dict[str, Any] | None:
    return _api_get(f"/api/v1/releases/{release_id}")


def _seat_holders(release: dict[str, Any]) -> list[str]:
    """Who could fill a still-missing seat of the release's pending gate (never its requester)."""
    gate = release.get("pendingGate")
    if not gate:
        return []
    decided = {approval["approver"] for approval in gate["approvals"]}
    missing = set(gate["missing"])
    return [
        name
        for name, identity in sorted(IDENTITIES.items())
        if name != release["requestedBy"]
        and name not in decided
        and missing & set(identity["roles"].get(gate["environment"], []))
    ]


def _as(identity: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {IDENTITIES[identity]['token']}"}


CONFIG_CHANGE_FIELDS = ("configRevision", "reason", "impact", "rollbackPlan")


def _core(version: str) -> tuple[int, int, int] | None:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _passing_version(service: str, release_type: str) -> str:
    """
    A version R-SEMVER lets through. A hotfix bumps the PATCH of what production runs (asked of the
    API); the others go above every version a release has named, which production cannot exceed.
    """
    if release_type == "hotfix":
        shown = _api_get(f"/api/v1/services/{service}/environments/production")
        running = _core(shown["version"]) if shown and shown.get("version") else None
        if running:
            with _lock:
                bump = _random.randint(1, 5)
            return f"{running[0]}.{running[1]}.{running[2] + bump}"
    seen = [_core(release["version"]) for release in _releases() if release["service"] == service]
    top = max([core for core in seen if core] + [(1, 0, 0)])
    with _lock:
        return f"{top[0] + 1}.{_random.randint(0, 40)}.{_random.randint(0, 99)}"


def _start_release() -> None:
    release_type, service = _draw(RELEASE_TYPES), _draw(DRIVEN_SERVICES)
    body = {"type": release_type, "service": service, "version": _passing_version(service, release_type)}
    _session.post(f"{API_URL}/api/v1/releases", json=body, headers=_as(_draw(STARTERS)), timeout=30)


def _fill_seats(release: dict[str, Any], action: str, body: dict[str, Any]) -> None:
    """Fills every missing seat of the release's pending gate, one holder per request."""
    detail = _release(release["id"])
    for holder in _seat_holders(detail) if detail else []:
        url = f"{API_URL}/api/v1/releases/{release['id']}/{action}"
        if _session.post(url, json=body, headers=_as(holder), timeout=30).status_code != 202:
            return


def _holds_lock(release: dict[str, Any]) -> bool:
    """A release that keeps its service from starting another: open and not succeeded (a succeeded
    release stays open, without the lock, while it can still be rolled back; one awaiting its
    documents holds none either)."""
    return release["finishedAt"] is None and release["status"] not in ("succeeded", "awaiting-docs")


def _waiting_confirm_step(release: dict[str, Any]) -> str | None:
    """The manual checklist item the release waits at, if its gate is one (hotfix and emergency have some)."""
    detail = release if "plan" in release else _release(release["id"])
    gate_id = ((detail or {}).get("pendingGate") or {}).get("gateId")
    steps = (detail or {}).get("plan", {}).get("steps", [])
    return gate_id if any(step["id"] == gate_id and step["kind"] == "confirm" for step in steps) else None


def _drive(status: str) -> bool:
    """
    One step of bringing a release to `status` for the decision cases: start one when the service
    is free, fill the gate in the way, or wait while one deploys. These requests are the fixture's,
    not cases: the report counts only what schemathesis sent. False when nothing can be done.
    """
    active = [
        release
        for release in _releases(fresh=True)
        if _holds_lock(release) and release["service"] in DRIVEN_SERVICES
    ]
    if not active:
        if not (DRIVEN_SERVICES and RELEASE_TYPES and STARTERS):
            return False
        _start_release()
    elif active[0]["status"] == "awaiting-approval":
        confirm_step = _waiting_confirm_step(active[0])
        if confirm_step:
            _fill_seats(active[0], "confirmations", {"stepId": confirm_step, "note": "fuzz fixture"})
        else:
            _fill_seats(active[0], "approvals", {"decision": "approve", "comment": "fuzz fixture"})
    elif active[0]["status"] == "waiting-window":
        _fill_seats(active[0], "window-override", {"reason": "fuzz fixture"})
    return True


def _candidates(status: str) -> list[dict[str, Any]]:
    """Releases in `status`; when there are none, drives one there within the run's budget."""
    return _releases_where(lambda release: release["status"] == status, status)


def _releases_where(wanted: Callable[[dict[str, Any]], bool], status: str) -> list[dict[str, Any]]:
    """The releases `wanted` picks; when there are none, drives one on within the run's budget."""
    candidates = [release for release in _releases() if wanted(release)]
    while not candidates:
        started = time.monotonic()
        with _lock:
            exhausted = _state["waited"] >= WAIT_BUDGET_SECONDS
        if exhausted or not _drive(status):
            break
        time.sleep(0.5)
        candidates = [release for release in _releases(fresh=True) if wanted(release)]
        with _lock:
            _state["waited"] += time.monotonic() - started
    return candidates


def _waiting_release(case: Any, status: str) -> dict[str, Any] | None:
    """The release the case names if it waits so, else one that does."""
    current = (case.path_parameters or {}).get("id")
    candidates = _candidates(status)
    chosen = next((release for release in candidates if release["id"] == current), None)
    if chosen is None and candidates:
        chosen = _draw(candidates)
    return _release(chosen["id"]) if chosen else None


def _steer_start(case: Any) -> bool:
    if not isinstance(case.body, dict) or not SERVICES or not RELEASE_TYPES or not STARTERS:
        return False
    # Mostly regular releases: their gates (two approval seats, the window) are what the decision
    # cases need; a hotfix or an emergency first waits at a manual item or for the on-call lead alone.
    regular = "regular" in RELEASE_TYPES and _chance(REGULAR_SHARE)
    release_type, service = ("regular" if regular else _draw(RELEASE_TYPES)), _draw(SERVICES)
    version = _passing_version(service, release_type)
    # The fields only a config-change takes would turn the start into a 400.
    kept = {name: value for name, value in case.body.items() if name not in CONFIG_CHANGE_FIELDS}
    body = {**kept, "service": service, "type": release_type, "version": version}
    # While a release holds the service a start can only answer 409: plan it instead, half the time.
    if any(_holds_lock(release) for release in _releases()) and _chance(0.5):
        body["dryRun"] = True
    case.body = body
    _send_as(case, _draw(STARTERS))
    return True


def _steer_read(case: Any) -> bool:
    releases = _releases()
    if not releases:
        return False
    release = _draw(releases)
    case.path_parameters = {**(case.path_parameters or {}), "id": release["id"]}
    # Someone who reads one of its environments: to anyone else the release does not exist (404).
    readers = [
        name
        for name, identity in sorted(IDENTITIES.items())
        if any("read" in identity["roles"].get(environment, []) for environment in release.get("environments", []))
    ]
    if readers:
        _send_as(case, _draw(readers))
    return True


def _steer_decision(case: Any, status: str, body: dict[str, Any]) -> bool:
    release = _waiting_release(case, status)
    confirm_step = _waiting_confirm_step(release) if release and status == "awaiting-approval" else None
    if release and confirm_step:
        # A manual checklist item waits, not an approval: the fixture confirms it, so the release
        # moves on to the gates the approval cases need.
        _fill_seats(release, "confirmations", {"stepId": confirm_step, "note": "fuzz fixture"})
        return False
    holders = _seat_holders(release) if release else []
    if not release or not holders or not isinstance(case.body, dict):
        return False
    case.path_parameters = {**(case.path_parameters or {}), "id": release["id"]}
    case.body = {**case.body, **body}
    _send_as(case, _draw(holders))
    return True


def _steer_approval(case: Any) -> bool:
    decision = "approve" if _chance(APPROVE_SHARE) else "reject"
    return _steer_decision(case, "awaiting-approval", {"decision": decision})


def _steer_override(case: Any) -> bool:
    return _steer_decision(case, "waiting-window", {})


# Steps that wait for people: the approval and override cases need releases standing at these.
GATE_KINDS = ("approval", "window")


def _past_its_gates(release: dict[str, Any]) -> bool:
    """
    An open release the approval and override cases no longer need: at work in production (past its
    gates, deploying or baking, and holding its service's lock), rolling back, waiting for a
    decision, or succeeded and still open for a rollback. Rollbacks and aborts aim at these, so they
    free the service for the next release instead of ending the ones the gate cases wait for.
    """
    if release["finishedAt"] is not None:
        return False
    if release["status"] in ("rolling-back", "waiting-decision", "succeeded"):
        return True
    # The gates are production steps too: "running" there may still mean on the way into one.
    if release["status"] != "running" or release.get("currentEnvironment") != "production":
        return False
    detail = _release(release["id"])
    if not detail or detail.get("currentStep") is None:
        return False
    steps = detail["plan"]["steps"]
    ids = [step["id"] for step in steps]
    last_gate = max((index for index, step in enumerate(steps) if step["kind"] in GATE_KINDS), default=-1)
    return detail["currentStep"] in ids and ids.index(detail["currentStep"]) > last_gate


def _waiting_for_decision(release: dict[str, Any]) -> bool:
    return release["finishedAt"] is None and release["status"] == "waiting-decision"


def _steer_order(case: Any, wanted: Callable[[dict[str, Any]], bool], drive: bool) -> bool:
    """Aims a rollback, an abort or a guided decision at a release `wanted` picks, sent by someone with deploy in it."""
    if not isinstance(case.body, dict):
        return False
    candidates = (
        _releases_where(wanted, "production")
        if drive
        else [release for release in _releases() if wanted(release)]
    )
    if not candidates:
        return False
    release = _draw(candidates)
    deciders = [
        name
        for name, identity in sorted(IDENTITIES.items())
        if any("deploy" in identity["roles"].get(environment, []) for environment in release["environments"])
    ]
    if not deciders:
        return False
    case.path_parameters = {**(case.path_parameters or {}), "id": release["id"]}
    _send_as(case, _draw(deciders))
    return True


def _readers_of(environment: str) -> list[str]:
    return [name for name, identity in sorted(IDENTITIES.items()) if "read" in identity["roles"].get(environment, [])]


def _steer_calendar(case: Any) -> bool:
    """A range inside the holiday data, asked by someone who reads the environment."""
    with _lock:
        start = CALENDAR_FROM + _random.randint(0, 280) * DAY_SECONDS
        days = _random.randint(1, 60)
    environment = _draw(ENVIRONMENTS)
    readers = _readers_of(environment)
    if not readers:
        return False
    instant = lambda seconds: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))  # noqa: E731
    case.query = {
        **(case.query or {}),
        "environment": environment,
        "from": instant(start),
        "to": instant(start + days * DAY_SECONDS),
    }
    _send_as(case, _draw(readers))
    return True


def _steer_service_environment(case: Any) -> bool:
    """A service the stack runs, in an environment, asked by someone who reads it."""
    environment = _draw(ENVIRONMENTS)
    readers = _readers_of(environment)
    if not DRIVEN_SERVICES or not readers:
        return False
    case.path_parameters = {
        **(case.path_parameters or {}),
        "service": _draw(DRIVEN_SERVICES),
        "environment": environment,
    }
    _send_as(case, _draw(readers))
    return True


STEERS = {
    "POST /api/v1/releases": _steer_start,
    "GET /api/v1/releases/{id}": _steer_read,
    "POST /api/v1/releases/{id}/approvals": _steer_approval,
    "POST /api/v1/releases/{id}/window-override": _steer_override,
    "POST /api/v1/releases/{id}/rollback": lambda case: _steer_order(case, _past_its_gates, drive=True),
    "POST /api/v1/releases/{id}/abort": lambda case: _steer_order(case, _past_its_gates, drive=True),
    # No runbook the fuzz stack runs has a guided step: there is nothing to drive a release to.
    "POST /api/v1/releases/{id}/decision": lambda case: _steer_order(case, _waiting_for_decision, drive=False),
    "GET /api/v1/calendar": _steer_calendar,
    "GET /api/v1/services/{service}/environments/{environment}": _steer_service_environment,
}


def _steer_role(label: str, case: Any) -> bool:
    """Sends the case as someone who holds the operation's role somewhere."""
    role = OPERATION_ROLES.get(label)
    holders = [
        name
        for name, identity in sorted(IDENTITIES.items())
        if any(role in roles for roles in identity["roles"].values())
    ]
    if not holders:
        return False
    _send_as(case, _draw(holders))
    return True


def _is_negative(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    return meta.generation.mode.is_negative or any(
        component.mode.is_negative for component in meta.components.values()
    )


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    label = f"{case.method.upper()} {case.operation.path}"
    if _is_negative(case) or not _chance(STEER):
        return
    steered = _steer_role(label, case)
    steer = STEERS.get(label)
    try:
        steered = (steer(case) if steer else False) or steered
    except requests.RequestException:
        # The state could not be read (the API is busy): send the rest of the case as generated.
        pass
    if steered:
        case.headers = {**(case.headers or {}), STEERED_HEADER: "1"}
