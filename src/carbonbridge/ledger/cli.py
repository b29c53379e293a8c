"""``carbonbridge ledger ...`` (operate the log), ``carbonbridge verify RECEIPT`` (offline receipt
check, no database or network) and ``carbonbridge witness`` (cosign the log's checkpoints after
checking consistency from its tiles, c2sp.org/tlog-tiles and c2sp.org/tlog-cosignature)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from carbonbridge.kernel.errors import CarbonbridgeError, Conflict, DependencyUnavailable, InvalidInput
from carbonbridge.ledger.errors import AuditFailed, TileNotFound
from carbonbridge.platform.cli_errors import failure, terminal_language
from carbonbridge.platform.cli_token import TokenFileOption, TokenOption, resolve_token

# What ``--help`` does not need is imported by the commands that use it (docs/cli.md, "Start-up
# time"): the log's service (and with it the database), the signed-note and proof modules (and
# with them ``cryptography``), ``urllib.request`` (``ssl``), the settings (pydantic-settings),
# Rich's tables and progress bars. ``verify`` and ``witness`` need no database.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.ledger.note import Ed25519Signer
    from carbonbridge.ledger.tiles import FetchTile
    from carbonbridge.ledger.witness import Witness

app = typer.Typer(help="Transparency log / 透明日志", no_args_is_help=True)
verify_app = typer.Typer(help="Verify a receipt offline / 离线验证回执", no_args_is_help=True)
witness_app = typer.Typer(help="Witness the log / 见证日志", no_args_is_help=True)
COMMANDS = {"ledger": app, "verify": verify_app, "witness": witness_app}
console = Console()
#: notes for a person (stdout keeps what a script reads: the verifier key alone)
err = Console(stderr=True)


@contextmanager
def _database() -> Iterator[sessionmaker[Session]]:
    """The configured database, migrated; its engine is disposed when the command ends."""
    from carbonbridge.platform.cli import database

    engine, sessions = database()
    try:
        yield sessions
    finally:
        engine.dispose()


def gettext(lang: str, message: str) -> str:
    """``message`` in ``lang`` (``ledger/locale``); the catalogues are read only when a Chinese
    terminal needs them, so that ``verify`` stays fast."""
    if lang == "en":
        return message
    from carbonbridge.platform import i18n

    return i18n.gettext(lang, message)


def _ok(text: str) -> None:
    """A verification's outcome: green, printed as it is (no Rich markup or highlighting)."""
    console.print(text, style="green", markup=False, highlight=False, soft_wrap=True)


def _fail(exc: CarbonbridgeError) -> typer.Exit:
    """Print ``error[<code>]: ...`` and exit with the error's status (3 for a failed verification)."""
    return failure(exc)


@app.command("key")
def key() -> None:
    """Print the log's verifier key, as the database records it, alone on one line / 打印日志验证公钥."""
    from carbonbridge.ledger import service

    with _database() as sessions:
        print(service.verifier_key(sessions))


@app.command("init")
def init(
    origin: Annotated[
        str | None, typer.Option(help="a new log's origin (default carbonbridge.local/<region>/log)")
    ] = None,
) -> None:
    """Record the log's key, creating it only for a new, empty log; idempotent / 初始化日志密钥."""
    from carbonbridge.ledger import service
    from carbonbridge.platform.settings import get_settings

    with _database() as sessions:
        status = service.init_log(sessions, get_settings(), origin=origin)
    err.print(status.summary(), highlight=False, soft_wrap=True, markup=False)
    print(status.verifier_key)


@app.command("new-key", hidden=True)
def new_key(
    origin: Annotated[str, typer.Option(help="the new log's origin, e.g. carbonbridge.local/CN-HI/log2")],
) -> None:
    """Create and record a new log's key (`ledger init --origin` does it) / 创建新日志密钥."""
    from carbonbridge.ledger import keys
    from carbonbridge.platform.settings import get_settings

    path = keys.key_path(get_settings())
    if path.exists():
        raise _fail(Conflict(f"{path} exists; `ledger init` records it, `ledger rotate-key` replaces it"))
    init(origin)


@app.command("rotate-key")
def rotate_key() -> None:
    """Replace the log's key by a logged, dual-signed rotation entry / 轮换日志密钥."""
    from carbonbridge.ledger import service
    from carbonbridge.platform.settings import get_settings

    with _database() as sessions:
        rotation = service.rotate_key(sessions, get_settings())
    err.print(
        f"rotated at entry {rotation.entry.index}: old key {rotation.old_key} (kept as {rotation.retired}), "
        f"new key in {rotation.path}",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
    print(rotation.new_key)


@app.command("checkpoint")
def checkpoint() -> None:
    """Print the latest signed checkpoint with its cosignatures / 打印最新检查点."""
    from carbonbridge.ledger import service

    with _database() as sessions:
        print(service.latest_checkpoint(sessions), end="")


@app.command("proof")
def proof(index: int) -> None:
    """Print the receipt (c2sp.org/tlog-proof) of entry INDEX / 打印条目回执."""
    from carbonbridge.ledger import service

    with _database() as sessions:
        print(service.receipt(sessions, index), end="")


@app.command("export-tiles")
def export_tiles(directory: Path) -> None:
    """Write checkpoint and tiles to DIRECTORY for static serving or offline audit / 导出瓦片."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from carbonbridge.ledger import service

    columns = (TextColumn("exporting tiles"), BarColumn(), MofNCompleteColumn())
    with _database() as sessions, Progress(*columns, console=console) as bar:
        task = bar.add_task("tiles", total=None)
        cp = service.export_tiles(
            sessions, directory, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    console.print(f"exported tree size {cp.tree_size} of {cp.origin} to {directory}")


def register_context_auditors() -> None:
    """Let each context say how its entries are recomputed from its state (``LEDGER_AUDITORS`` in
    its service); contexts are found by name so that the ledger imports none of them."""
    from carbonbridge.ledger import service
    from carbonbridge.platform.migrate import STORE_CONTEXTS
    from carbonbridge.platform.optional import optional_module

    for context in STORE_CONTEXTS:
        for name in ("service", "events", "statements", "compliance.service"):
            module = optional_module(f"carbonbridge.{context}.{name}")
            for kind, auditor in getattr(module, "LEDGER_AUDITORS", {}).items():
                service.register_auditor(kind, auditor)


@app.command("audit")
def audit() -> None:
    """Recompute every hash and root from the entries, check every signature / 审计日志."""
    from rich.table import Table

    from carbonbridge.ledger import service

    register_context_auditors()
    with _database() as sessions:
        report = service.audit(sessions)
    lang = terminal_language()
    if report.ok:
        _ok(
            gettext(lang, "OK: %(entries)s entries, %(checkpoints)s checkpoints, tree size %(size)s")
            % {"entries": report.entries, "checkpoints": report.checkpoints, "size": report.tree_size}
        )
        return
    table = Table(title=gettext(lang, "%(count)s finding(s)") % {"count": len(report.findings)})
    table.add_column(gettext(lang, "record"))
    table.add_column(gettext(lang, "reason"))
    for finding in report.findings:
        table.add_row(finding.record, finding.reason)
    console.print(table)
    first = report.findings[0]
    raise _fail(
        AuditFailed(f"{len(report.findings)} finding(s); first bad record: {first.record}: {first.reason}")
    )


@app.command("consistency")
def consistency(
    old_checkpoint_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Prove the latest checkpoint extends the one in OLD_CHECKPOINT_FILE / 一致性证明."""
    from carbonbridge.ledger import service
    from carbonbridge.ledger.checkpoint import open_checkpoint
    from carbonbridge.ledger.note import parse_verifier_key
    from carbonbridge.ledger.verify import verify_consistency

    try:
        with _database() as sessions:
            # every key the log has had: an old checkpoint may predate a key rotation
            verifiers = [parse_verifier_key(k) for k in service.log_keys(sessions)]
            old = open_checkpoint(old_checkpoint_file.read_text(), verifiers)
            new = open_checkpoint(service.latest_checkpoint(sessions), verifiers)
            hashes = service.consistency_proof(sessions, old.tree_size, new.tree_size)
        verify_consistency(old, new, hashes)
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    _ok(
        gettext(terminal_language(), "OK: tree size %(old)s is a prefix of tree size %(new)s")
        % {"old": old.tree_size, "new": new.tree_size}
    )
    for h in service.b64(hashes):
        print(h)


@verify_app.callback(invoke_without_command=True, context_settings={"allow_interspersed_args": True})
def verify(
    receipt: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="receipt file (c2sp.org/tlog-proof)")
    ],
    key: Annotated[str | None, typer.Option(help="the log's verifier key text")] = None,
    key_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="file holding the log's verifier key")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="the logged entry bytes (default: the receipt's extra line)"
        ),
    ] = None,
) -> None:
    """Verify a receipt offline: signature, entry, inclusion / 离线验证回执 (no database, no network)."""
    from carbonbridge.ledger.proof import parse_receipt, verify_receipt

    try:
        if (key is None) == (key_file is None):
            raise InvalidInput("give the log's verifier key with exactly one of --key or --key-file")
        vkey = key if key is not None else key_file.read_text().strip()  # type: ignore[union-attr]
        text = receipt.read_text()
        entry = data.read_bytes() if data is not None else parse_receipt(text).extra
        if entry is None:
            raise InvalidInput("the receipt carries no entry; give the logged entry with --data FILE")
        verified = verify_receipt(text, vkey, entry)
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    cp = verified.checkpoint
    message = gettext(
        terminal_language(),
        "OK: entry %(index)s is in %(origin)s at tree size %(size)s (root %(root)s…), signed by %(signers)s",
    )
    _ok(
        message
        % {
            "index": verified.index,
            "origin": cp.origin,
            "size": cp.tree_size,
            "root": cp.root_hash.hex()[:16],
            "signers": ", ".join(s.name for s in verified.signatures),
        }
    )


# --- witness ----------------------------------------------------------------------------------

Post = Callable[[str, bytes], bytes]


def _http_fetch(prefix: str) -> FetchTile:
    import urllib.error
    import urllib.request  # http.client and ssl: only for a witness that fetches

    def fetch(path: str) -> bytes:
        try:
            with urllib.request.urlopen(f"{prefix}/{path}", timeout=30) as response:  # noqa: S310
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise TileNotFound(f"{prefix}/{path} not found") from exc
            raise DependencyUnavailable(f"{prefix}/{path}: HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise DependencyUnavailable(f"{prefix}/{path}: {exc.reason}") from exc

    return fetch


def _http_post(token: str) -> Post:
    import urllib.error
    import urllib.request

    def post(url: str, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as exc:
            raise DependencyUnavailable(f"{url}: HTTP {exc.code}: {exc.read()[:300]!r}") from exc

    return post


def witness_once(
    fetch: FetchTile, post: Post, api_url: str, signer: Ed25519Signer, log_key: str, state: Path
) -> int:
    """One witness round: verify the log's checkpoint, check it extends the last one seen (from
    tiles), cosign it, submit the cosignature and remember the checkpoint. Returns the size."""
    from carbonbridge.ledger.checkpoint import checkpoint_text, open_checkpoint
    from carbonbridge.ledger.note import parse_verifier_key, sign_note
    from carbonbridge.ledger.verify import verify_consistency_from_tiles

    verifier = parse_verifier_key(log_key)
    note = fetch("checkpoint").decode()
    new = open_checkpoint(note, verifier)
    if state.exists():
        seen = json.loads(state.read_text())
        if seen.get("log_key") != log_key:
            raise InvalidInput(f"state file {state} is for another log key: {seen.get('log_key')}")
        old = open_checkpoint(seen["checkpoint"], verifier)
        verify_consistency_from_tiles(old, new, fetch)
    cosigned = sign_note(checkpoint_text(note), signer)
    body = json.dumps({"checkpoint": cosigned, "witness_key": signer.verifier().verifier_key()})
    post(f"{api_url}/ledger/cosignatures", body.encode())
    state.write_text(json.dumps({"log_key": log_key, "checkpoint": note}))
    return new.tree_size


@witness_app.callback(invoke_without_command=True)
def witness(
    ctx: typer.Context,
    log: Annotated[
        str | None, typer.Option(help="the platform's base URL, e.g. https://carbon.example")
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="the witness's PRIVATE+KEY file (cosignature/v1)"),
    ] = None,
    state: Annotated[Path | None, typer.Option(help="file remembering the last checkpoint cosigned")] = None,
    log_key: Annotated[str | None, typer.Option(help="the log's verifier key (pinned)")] = None,
    token: TokenOption = None,
    token_file: TokenFileOption = None,
) -> None:
    """Pull mode: fetch, check consistency from tiles, cosign and submit / 获取、核验一致性、联署并提交.

    ``carbonbridge witness serve`` runs a witness that logs push to instead (c2sp.org/tlog-witness).
    """
    from carbonbridge.ledger.note import SIG_COSIGNATURE_V1, parse_signer_key

    if ctx.invoked_subcommand is not None:
        return
    try:
        token = resolve_token(token, token_file)
        if log is None or key_file is None or state is None or log_key is None or token is None:
            raise InvalidInput(
                "pull mode needs --log, --key-file, --state, --log-key and a witness API token "
                "(CARBONBRIDGE_TOKEN, --token-file or --token)"
            )
        signer = parse_signer_key(key_file.read_text().strip())
        if signer.sig_type != SIG_COSIGNATURE_V1:
            raise InvalidInput(f"{key_file} is not a cosignature/v1 (type 0x04) key")
        base = log.rstrip("/")
        size = witness_once(
            _http_fetch(f"{base}/log"), _http_post(token), f"{base}/api/v1", signer, log_key, state
        )
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    _ok(gettext(terminal_language(), "cosigned tree size %(size)s of %(log)s") % {"size": size, "log": log})


def _witness_dir(directory: Path | None) -> Path:
    from carbonbridge.platform.settings import get_settings

    return directory if directory is not None else get_settings().data_dir / "witness"


def _open_witness(directory: Path | None, name: str | None, log_keys: list[str]) -> Witness:
    from carbonbridge.ledger.witness import Witness, load_or_create_key
    from carbonbridge.platform.settings import get_settings

    folder = _witness_dir(directory)
    signer = load_or_create_key(
        folder / "witness.key", name or f"carbonbridge.local/{get_settings().region}/witness"
    )
    return Witness(signer, log_keys, folder / "state.json")


WitnessDir = Annotated[
    Path | None, typer.Option("--dir", help="key and state directory (default <data dir>/witness)")
]


@witness_app.command("key")
def witness_key(
    directory: WitnessDir = None,
    name: Annotated[str | None, typer.Option(help="key name when creating the key")] = None,
) -> None:
    """Print the witness's verifier key (created on first use) / 打印见证者验证公钥."""
    try:
        print(_open_witness(directory, name, []).verifier_key())
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc


@witness_app.command("serve")
def witness_serve(
    log_key: Annotated[list[str], typer.Option(help="verifier key of a log to witness (repeatable)")],
    directory: WitnessDir = None,
    name: Annotated[str | None, typer.Option(help="key name when creating the key")] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8181,
) -> None:
    """Serve c2sp.org/tlog-witness add-checkpoint for the given logs / 运行见证服务."""
    import uvicorn

    from carbonbridge.ledger.api import witness_app as make_witness_app

    try:
        witness = _open_witness(directory, name, log_key)
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    console.print(f"witness key: {witness.verifier_key()}", highlight=False, soft_wrap=True)
    console.print(f"logs: {', '.join(sorted(witness.logs))}; POST http://{host}:{port}/add-checkpoint")
    uvicorn.run(make_witness_app(witness), host=host, port=port, log_level="warning")


# --- the log's witnesses (push mode) ---------------------------------------------------------------

witnesses_app = typer.Typer(help="Witnesses the log pushes to / 日志见证者", no_args_is_help=True)
app.add_typer(witnesses_app, name="witnesses")


@witnesses_app.command("add")
def witnesses_add(
    verifier_key: Annotated[str, typer.Argument(help="the witness's cosignature/v1 verifier key")],
    url: Annotated[str, typer.Argument(help="its submission prefix, e.g. https://w.example/witness")],
) -> None:
    """Register a witness / 登记见证者."""
    from carbonbridge.ledger import service

    try:
        with _database() as sessions:
            added = service.add_witness(sessions, verifier_key, url)
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    console.print(f"added witness {added.name} at {added.url}", highlight=False)


@witnesses_app.command("list")
def witnesses_list() -> None:
    """List the registered witnesses / 列出见证者."""
    from rich.table import Table

    from carbonbridge.ledger import service

    with _database() as sessions:
        listed = service.list_witnesses(sessions)
    table = Table(title=f"{len(listed)} witness(es) / 见证者")
    for column in ("name", "url", "cosigned size", "verifier key"):
        table.add_column(column)
    for w in listed:
        table.add_row(w.name, w.url, str(w.cosigned_size), w.verifier_key)
    console.print(table)


@witnesses_app.command("remove")
def witnesses_remove(name: str) -> None:
    """Forget a witness (its stored cosignatures stay) / 移除见证者."""
    from carbonbridge.ledger import service

    try:
        with _database() as sessions:
            service.remove_witness(sessions, name)
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    console.print(f"removed witness {name}", highlight=False)


@witnesses_app.command("push")
def witnesses_push() -> None:
    """Push the latest checkpoint to every witness; exit 1 if any failed / 推送检查点给见证者."""
    from carbonbridge.ledger import service

    try:
        with _database() as sessions:
            results = service.push_checkpoint(sessions)
    except CarbonbridgeError as exc:
        raise _fail(exc) from exc
    for r in results:
        mark = "[green]cosigned[/green]" if r.cosigned else "[red]FAILED[/red]"
        console.print(
            f"{mark} {escape(r.witness)} tree size {r.tree_size}: {escape(r.detail)}", highlight=False
        )
    failed = [r for r in results if not r.cosigned]
    if failed:
        raise _fail(
            DependencyUnavailable(
                f"{len(failed)} of {len(results)} witness(es) did not cosign: "
                + "; ".join(f"{r.witness}: {r.detail}" for r in failed)
            )
        )
