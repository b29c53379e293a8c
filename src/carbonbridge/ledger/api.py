"""REST faces of the transparency log.

``router`` (under ``/api/v1``): checkpoint, verifier key, receipts (c2sp.org/tlog-proof),
inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) and witness cosignatures
(c2sp.org/tlog-cosignature). ``log_router`` (at ``/log``): the public read path of
c2sp.org/tlog-tiles, which a static web server or CDN can equally serve from ``ledger
export-tiles``. :func:`witness_app`: a witness's own HTTP service (c2sp.org/tlog-witness
``add-checkpoint``), served by ``carbonbridge witness serve`` or mounted by the platform.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Route

from carbonbridge.kernel.bounds import LogIndex, RequestBody, TreeSize
from carbonbridge.ledger import service
from carbonbridge.ledger.tiles import parse_tile_path
from carbonbridge.ledger.witness import ADD_CHECKPOINT, Witness
from carbonbridge.platform.deps import CurrentPrincipal, Sessions, get_sessions
from carbonbridge.platform.guard import GuardedRoute, public

router = APIRouter(prefix="/ledger", tags=["ledger"], route_class=GuardedRoute)
log_router = APIRouter(prefix="/log", tags=["ledger"], route_class=GuardedRoute)

#: full tiles and entry bundles never change (c2sp.org/tlog-tiles, "Full tiles are immutable")
IMMUTABLE = "public, max-age=31536000, immutable"
#: the checkpoint and partial tiles change with every append
SHORT = "public, max-age=1"


class InclusionProofOut(BaseModel):
    index: int
    tree_size: int
    hashes: list[str] = Field(description="base64 hashes, leaf's sibling first (RFC 9162 §2.1.3.1)")


class ConsistencyProofOut(BaseModel):
    old: int
    new: int
    hashes: list[str] = Field(description="base64 hashes (RFC 9162 §2.1.4.1)")


class CosignatureIn(RequestBody):
    checkpoint: str = Field(description="the log's checkpoint note carrying the witness's signature line")
    witness_key: str = Field(description="the witness's cosignature/v1 verifier key")


def _text(body: str, cache: str = "no-store", status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status, headers={"Cache-Control": cache})


@router.get("/checkpoint", response_class=PlainTextResponse)
@public
def checkpoint(sessions: Sessions) -> PlainTextResponse:
    """The latest signed checkpoint (c2sp.org/tlog-checkpoint) with its witness cosignatures."""
    return _text(service.latest_checkpoint(sessions))


@router.get("/key", response_class=PlainTextResponse)
@public
def verifier_key(sessions: Sessions) -> PlainTextResponse:
    """The log's verifier key (c2sp.org/signed-note) as the database records it; pin it to
    verify receipts offline. After a key rotation (a ``ledger.key_rotation`` entry) it is the
    new key; receipts issued before verify with the old one."""
    return _text(service.verifier_key(sessions) + "\n", "public, max-age=3600")


@router.get("/entries/{index}/receipt", response_class=PlainTextResponse)
@public
def receipt(sessions: Sessions, index: LogIndex) -> PlainTextResponse:
    """A receipt (c2sp.org/tlog-proof) for entry ``index`` against the latest checkpoint."""
    return _text(service.receipt(sessions, index))


@router.get("/proof/inclusion", response_model=InclusionProofOut)
@public
def inclusion(
    sessions: Sessions,
    index: Annotated[LogIndex, Query()],
    size: Annotated[TreeSize, Query()],
) -> InclusionProofOut:
    proof = service.inclusion_proof(sessions, index, size)
    return InclusionProofOut(index=index, tree_size=size, hashes=service.b64(proof))


@router.get("/proof/consistency", response_model=ConsistencyProofOut)
@public
def consistency(
    sessions: Sessions,
    old: Annotated[LogIndex, Query(description="the older tree size")],
    new: Annotated[TreeSize, Query(description="the newer tree size")],
) -> ConsistencyProofOut:
    proof = service.consistency_proof(sessions, old, new)
    return ConsistencyProofOut(old=old, new=new, hashes=service.b64(proof))


@router.post("/cosignatures", response_class=PlainTextResponse, status_code=201)
def cosign(sessions: Sessions, principal: CurrentPrincipal, body: CosignatureIn) -> PlainTextResponse:
    """A witness submits its cosignature of a checkpoint it verified (role: witness)."""
    served = service.add_cosignature(sessions, principal, body.checkpoint, body.witness_key)
    return _text(served, status=201)


@log_router.get("/checkpoint", response_class=PlainTextResponse)
@public
def log_checkpoint(sessions: Sessions) -> PlainTextResponse:
    """``<prefix>/checkpoint`` of c2sp.org/tlog-tiles."""
    return _text(service.latest_checkpoint(sessions), SHORT)


async def _tile_response(sessions: sessionmaker[Session], path: str) -> Response:
    # A full tile this process served before comes from memory on the event loop; anything
    # else reads the database in the thread pool, as a sync endpoint would.
    data = service.cached_tile(sessions, path)
    if data is None:
        data = await run_in_threadpool(service.tile, sessions, path)
        cache = SHORT if parse_tile_path(path).is_partial else IMMUTABLE
    else:
        cache = IMMUTABLE
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": cache})


# The session factory is taken from the app state directly rather than through the (sync)
# ``Sessions`` dependency, which FastAPI would resolve in the thread pool on every request.
@log_router.get("/tile/entries/{path:path}")
@public
async def log_entries(request: Request, path: str) -> Response:
    """An entry bundle ``tile/entries/<N>[.p/<W>]``."""
    return await _tile_response(get_sessions(request), f"tile/entries/{path}")


@log_router.get("/tile/{path:path}")
@public
async def log_tile(request: Request, path: str) -> Response:
    """A hash tile ``tile/<L>/<N>[.p/<W>]``."""
    return await _tile_response(get_sessions(request), f"tile/{path}")


async def _fast_tile(request: Request) -> Response:
    return await _tile_response(get_sessions(request), "tile/" + request.path_params["path"])


#: The tile read path as plain Starlette routes that the platform puts first in its routing table:
#: a tile request then skips FastAPI's dependency and validation machinery and the scan over every
#: other route (the documented APIRoutes above stay for OpenAPI; these answer first, identically).
fast_routes: list[BaseRoute] = [Route("/log/tile/{path:path}", _fast_tile, methods=["GET"])]


def mount_log(app: FastAPI) -> None:
    """Serve ``log_router`` at ``/log`` on ``app`` (the platform mounts it; tests call this)."""
    app.include_router(log_router)


def witness_app(witness: Witness) -> FastAPI:
    """The witness's HTTP service: ``POST /add-checkpoint`` (c2sp.org/tlog-witness) answered by
    :meth:`Witness.add_checkpoint` (which holds its lock across check and update, so the thread
    pool may run requests concurrently). Mount it under the witness's submission prefix."""
    app = FastAPI(title="carbonbridge witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(f"/{ADD_CHECKPOINT}")
    async def add_checkpoint(request: Request) -> Response:
        answer = await run_in_threadpool(witness.add_checkpoint, await request.body())
        # exactly the Content-Type the protocol names (text/x.tlog.size), no charset appended
        return Response(answer.body, status_code=answer.status, headers={"Content-Type": answer.content_type})

    return app
