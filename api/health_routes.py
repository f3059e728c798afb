"""Probes and metrics: /healthz (the process answers), /readyz (store and farm usable, and in sim mode the
simulated Zoom and LiveAvatar answering; why not, and the nodes, only to a token holder), /metrics."""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from api.auth import authenticate, require_token
from api.deps import FarmDep, RepositoryDep
from api.errors import ApiError
from api.metrics import Metrics
from api.sim_services import SimReadiness
from state.migrations import latest_version

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the server process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _sim_readiness(request: Request) -> SimReadiness:
    readiness: SimReadiness | None = getattr(request.app.state, "sim_readiness", None)
    if readiness is None:
        readiness = request.app.state.sim_readiness = SimReadiness(request.app.state.settings)
    return readiness


@router.get(
    "/readyz",
    summary="Readiness: the state store and the farm can take work (and in sim mode, the simulated services answer)",
)
async def readyz(request: Request, repository: RepositoryDep, farm: FarmDep) -> JSONResponse:
    problems: list[str] = []
    try:
        version = await repository.schema_version()
        if version != latest_version():
            problems.append(f"database schema is v{version}, expected v{latest_version()}")
    except (sqlite3.Error, ValueError, OSError) as exc:  # the store cannot be read (or is closed): not ready
        problems.append(f"database unreadable: {type(exc).__name__}")
    if not farm.is_ready():
        problems.append("farm not ready")
    problems.extend(await _sim_readiness(request).problems())
    # Nodes down do not make the server unready: rooms queue until a node is back, and the professor
    # still needs the API and the dashboard meanwhile.
    nodes = [
        {"name": n.name, "up": n.up, "slots": n.capacity, "bots": n.bots}
        | ({"problem": n.problem} if n.problem else {})
        for n in farm.node_status()
    ]
    status = 503 if problems else 200
    body: dict[str, object] = {"status": "not ready" if problems else "ready"}
    try:
        principal = await authenticate(request)
    except ApiError:  # a probe without the token learns ready or not, nothing about the deployment
        return JSONResponse(body, status_code=status)
    if not principal.is_admin:  # nor does a professor: the deployment is the administrator's
        return JSONResponse(body, status_code=status)
    if problems:
        body["problems"] = problems
    if nodes:
        body["nodes"] = nodes
    return JSONResponse(body, status_code=status)


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    dependencies=[Depends(require_token)],
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request, repository: RepositoryDep, farm: FarmDep) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(
        await registry.render(repository, farm.node_status()), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
