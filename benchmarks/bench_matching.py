"""The matching engine in process (issue 14, "Performance"): at least 200,000 order operations/s on
exchange-core's mix, side by side with pure-Python order books from PyPI in the same run.

**The operation stream** (generated with ``random.Random(SEED)``, replayed identically on every
engine): one instrument, previous close 5,000 fen (50 yuan/t), ±10 % limits (4,500-5,500 fen),
a 1-fen tick, lot 1. First ``--depth`` GTC orders (half each side, untimed) fill the book, at the
mid-price 5,000 ± (1 + |N(0, 25)|) ticks on their own side. Then ``--ops`` operations in
the mix issue 14 gives as exchange-core's (9 % GTC, 3 % IOC, 6 % cancel, 82 % move); the
generator around it is ours:

- GTC: a random side, 1-100 units, at mid ± (1 + |N(0, 25)|) ticks on its own side; while the book
  holds at least ``--depth`` orders, 30 % of them are aggressive instead (0-5 ticks through the
  opposite best), which holds the book at about ``--depth`` orders for the whole stream;
- IOC: 1-20 units at mid ± 10 ticks across the book (always aggressive);
- cancel: a random resting order;
- move: a random resting order to its price ± 1-5 ticks, reflected where it would cross (a price
  change: it loses time priority).

The stream is made by running it through this engine (so that every cancel and move names a
resting order); each order has its own owner, so self-trade prevention never fires (the peers have
none). Every engine's traded volume on the same prefix is printed and compared.

**Peers**, imported from a throwaway virtual environment (``--peers /tmp/peers-venv`` or the
``CARBONBRIDGE_BENCH_PEERS`` variable; skipped with a message when absent; never a dependency):

- ``akhil4n-orderbook`` 0.1.1 (module ``orderbook``: ``SortedDict`` of levels, an
  ``OrderedDict`` FIFO per level): limit and market orders, cancel. IOC is adapted as a limit
  order followed by a cancel of what rests, move as cancel + a new limit order for the open
  quantity (which is what losing priority means).
- ``order-matching`` 0.12.0 (``MatchingEngine``: lists per price, sorted per match): limit and
  market orders, cancel; ``place`` + ``match`` per order; IOC and move adapted as above; its
  ``loguru`` debug logging is switched off. It is slow (sorting and linear searches), so it runs a
  shorter prefix (``--slow-ops``).

Rejected as peers: ``orderbook`` 0.1.2 and ``PyLOB`` (Python 2 only: ``cStringIO``; PyLOB does not
build), ``limit-order-book`` (a C extension), ``lob`` (a postal-mail API client).

Usage: ``python -m benchmarks.bench_matching [--ops N] [--depth D] [--runs R] [--peers VENV]``.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import sys
import time
from collections.abc import Callable

from carbonbridge.markets.trading.book import OrderBook
from carbonbridge.markets.trading.model import BookRules, Fill, Side, TimeInForce

TARGET = 200_000
SEED = 20_260_926
CLOSE = 5_000
RULES = BookRules(previous_close_fen=CLOSE, limit_bp=1_000, tick_fen=1, lot=1)
GTC, IOC, CANCEL, MOVE = 0, 1, 2, 3
# (kind, order id, side is buy, quantity, price): cancels carry only the id, moves the new price
Op = tuple[int, int, bool, int, int]


#: (wall-clock seconds, CPU seconds of this process): the machine is shared, so both are printed
Seconds = tuple[float, float]


def _now() -> Seconds:
    return time.perf_counter(), time.process_time()


def _since(start: Seconds) -> Seconds:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def _clamp(price: int) -> int:
    return min(max(price, RULES.lower_limit_fen), RULES.upper_limit_fen)


def generate(ops: int, depth: int) -> tuple[list[Op], list[Op]]:
    """The prefill (GTC orders) and the timed stream, made by running them through the engine."""
    rng = random.Random(SEED)
    book = OrderBook(RULES)
    live: list[int] = []
    where: dict[int, int] = {}
    next_id = 1

    def forget(order_id: int) -> None:
        k = where.pop(order_id)
        last = live.pop()
        if last != order_id:
            live[k] = last
            where[last] = k

    def run(op: Op) -> None:
        kind, order_id, buy, qty, price = op
        side = Side.BUY if buy else Side.SELL
        if kind == GTC:
            events = book.submit(order_id, str(order_id), side, qty, price)
        elif kind == IOC:
            events = book.submit(order_id, str(order_id), side, qty, price, TimeInForce.IOC)
        elif kind == CANCEL:
            events = book.cancel(order_id)
        else:
            events = book.modify(order_id, price_fen=price)
        for e in events:
            if isinstance(e, Fill) and book.order(e.maker_id) is None:
                forget(e.maker_id)
        if kind == CANCEL or (kind == MOVE and book.order(order_id) is None):
            forget(order_id)
        if kind == GTC and book.order(order_id) is not None:
            live.append(order_id)
            where[order_id] = len(live) - 1

    prefill: list[Op] = []
    for n in range(depth):
        buy = n % 2 == 0
        offset = 1 + abs(round(rng.gauss(0, 25)))
        op = (GTC, next_id, buy, rng.randint(1, 100), _clamp(CLOSE - offset if buy else CLOSE + offset))
        next_id += 1
        prefill.append(op)
        run(op)
    stream: list[Op] = []
    for _ in range(ops):
        r = rng.random()
        bid, ask = book.best_bid(), book.best_ask()
        if live and r < 0.82:
            order_id = live[rng.randrange(len(live))]
            state = book.order(order_id)
            if state is None:
                raise RuntimeError(f"order {order_id} listed as resting is not in the book")
            buy = state.side is Side.BUY
            price = _clamp(state.price_fen + rng.randint(1, 5) * rng.choice((-1, 1)))
            # a move stays on its side of the book (otherwise moves drain the book in a few
            # thousand operations); where it would cross it is reflected
            if (buy and ask is not None and price >= ask) or (not buy and bid is not None and price <= bid):
                price = _clamp(2 * state.price_fen - price)
            op = (MOVE, order_id, buy, 0, price)
        elif live and r < 0.88:
            op = (CANCEL, live[rng.randrange(len(live))], False, 0, 0)
        elif r < 0.97 or not live:
            buy = rng.random() < 0.5
            if len(live) >= depth and rng.random() < 0.3:
                # aggressive, up to 5 ticks through the opposite best, while the book is at depth
                through = rng.randint(0, 5)
                if buy:
                    price = _clamp((CLOSE if ask is None else ask) + through)
                else:
                    price = _clamp((CLOSE if bid is None else bid) - through)
            else:
                offset = 1 + abs(round(rng.gauss(0, 25)))
                price = _clamp(CLOSE - offset if buy else CLOSE + offset)
            op = (GTC, next_id, buy, rng.randint(1, 100), price)
            next_id += 1
        else:
            buy = rng.random() < 0.5
            op = (IOC, next_id, buy, rng.randint(1, 20), CLOSE + 10 if buy else CLOSE - 10)
            next_id += 1
        stream.append(op)
        run(op)
    return prefill, stream


# -- the engines: each returns (seconds for the stream, units traded) -----------------------------


def run_ours(prefill: list[Op], stream: list[Op]) -> tuple[Seconds, int]:
    book = OrderBook(RULES)
    buy, sell, ioc = Side.BUY, Side.SELL, TimeInForce.IOC
    for _, order_id, is_buy, qty, price in prefill:
        book.submit(order_id, str(order_id), buy if is_buy else sell, qty, price)
    owners = {op[1]: str(op[1]) for op in stream if op[0] in (GTC, IOC)}
    submit, cancel, modify = book.submit, book.cancel, book.modify
    # the fills are kept, as a service keeps them for its log (and as the peers keep a trade log);
    # the other events are dropped once seen
    trades: list[Fill] = []
    keep = trades.append
    start = _now()
    for kind, order_id, is_buy, qty, price in stream:
        if kind == MOVE:
            events = modify(order_id, price_fen=price)
        elif kind == GTC:
            events = submit(order_id, owners[order_id], buy if is_buy else sell, qty, price)
        elif kind == CANCEL:
            events = cancel(order_id)
        else:
            events = submit(order_id, owners[order_id], buy if is_buy else sell, qty, price, ioc)
        if len(events) > 1:
            for e in events:
                if e.__class__ is Fill:
                    keep(e)  # type: ignore[arg-type]
    seconds = _since(start)
    traded = sum(t.quantity for t in trades)
    return seconds, traded


def run_akhil4n(prefill: list[Op], stream: list[Op]) -> tuple[Seconds, int]:
    import orderbook as ob

    book = ob.OrderBook()
    bid, ask = ob.OrderSide.BID, ob.OrderSide.ASK

    def limit(order_id: int, is_buy: bool, qty: int, price: int) -> None:
        order = ob.Order(bid if is_buy else ask, price, qty)
        order.order_id = str(order_id)
        book.add_limit_order(order)

    for _, order_id, is_buy, qty, price in prefill:
        limit(order_id, is_buy, qty, price)
    orders = book.orders
    start = _now()
    for kind, order_id, is_buy, qty, price in stream:
        key = str(order_id)
        if kind == MOVE:
            open_qty = orders[key][1].remaining_quantity
            book.cancel_order(key)
            limit(order_id, is_buy, open_qty, price)
        elif kind == GTC:
            limit(order_id, is_buy, qty, price)
        elif kind == CANCEL:
            book.cancel_order(key)
        else:
            limit(order_id, is_buy, qty, price)
            if key in orders:
                book.cancel_order(key)
    seconds = _since(start)
    return seconds, sum(t.quantity_filled for t in book.trade_log)


def run_order_matching(prefill: list[Op], stream: list[Op]) -> tuple[Seconds, int]:
    from datetime import datetime, timedelta

    from loguru import logger
    from order_matching.enums import Side as OmSide
    from order_matching.matching_engine import MatchingEngine
    from order_matching.order import LimitOrder
    from order_matching.orders import Orders

    logger.remove()
    engine = MatchingEngine(seed=SEED)
    clock = [datetime(2026, 12, 5)]  # noqa: DTZ001  (the peer compares with a naive datetime.max)
    traded = [0.0]

    def limit(order_id: int, is_buy: bool, qty: float, price: int) -> None:
        clock[0] += timedelta(microseconds=1)
        order = LimitOrder(
            side=OmSide.BUY if is_buy else OmSide.SELL,
            price=price,
            size=qty,
            timestamp=clock[0],
            order_id=str(order_id),
            trader_id=str(order_id),
            price_number_of_digits=0,
        )
        engine.place(Orders([order]))
        trades = engine.match(timestamp=clock[0])
        traded[0] += sum(t.size for t in trades.trades)

    for _, order_id, is_buy, qty, price in prefill:
        limit(order_id, is_buy, qty, price)
    find = engine.unprocessed_orders.find_order_by_id
    start = _now()
    for kind, order_id, is_buy, qty, price in stream:
        key = str(order_id)
        if kind == MOVE:
            resting = find(key)
            open_qty = resting.size if resting is not None else 0
            engine.cancel_order(key)
            limit(order_id, is_buy, open_qty, price)
        elif kind == GTC:
            limit(order_id, is_buy, qty, price)
        elif kind == CANCEL:
            engine.cancel_order(key)
        else:
            limit(order_id, is_buy, qty, price)
            if find(key) is not None:
                engine.cancel_order(key)
    seconds = _since(start)
    return seconds, round(traded[0])


def add_peers(path: str | None) -> bool:
    """Append the throwaway venv's site-packages to ``sys.path`` (last, so ours win)."""
    if not path:
        return False
    found = glob.glob(os.path.join(path, "lib", "python3*", "site-packages"))
    if not found:
        print(f"peers: no site-packages under {path}; peers skipped")
        return False
    sys.path.extend(found)
    return True


def rate(n: int, seconds: Seconds) -> str:
    """``n`` operations in ``seconds`` as "wall ops/s (CPU ops/s)"."""
    return f"{n / seconds[0]:>9,.0f} ops/s (CPU {n / seconds[1]:,.0f})"


def median_run(
    fn: Callable[[list[Op], list[Op]], tuple[Seconds, int]], prefill: list[Op], stream: list[Op], runs: int
) -> tuple[Seconds, int]:
    """The run with the median wall time; the units traded."""
    results = sorted((fn(prefill, stream) for _ in range(runs)), key=lambda r: r[0][0])
    return results[len(results) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--depth", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-ops", type=int, default=200_000)
    parser.add_argument("--slow-ops", type=int, default=5_000)
    parser.add_argument("--peers", default=os.environ.get("CARBONBRIDGE_BENCH_PEERS"))
    args = parser.parse_args()
    print(
        f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    prefill, stream = generate(args.ops, args.depth)
    counts = [sum(1 for op in stream if op[0] == k) for k in (GTC, IOC, CANCEL, MOVE)]
    print(
        f"stream: seed {SEED}, {args.depth:,} resting orders prefilled, {args.ops:,} operations: "
        + ", ".join(
            f"{name} {100 * c / args.ops:.1f} %"
            for name, c in zip(("GTC", "IOC", "cancel", "move"), counts, strict=True)
        )
    )
    seconds, traded = median_run(run_ours, prefill, stream, args.runs)
    verdict = "met" if args.ops / seconds[0] >= TARGET else "NOT met"
    print(
        f"  carbonbridge OrderBook   {rate(args.ops, seconds)}  ({args.ops:,} ops in {seconds[0]:.3f} s, "
        f"median of {args.runs}; {traded:,} units traded)  target {TARGET:,} [{verdict}]"
    )
    if not add_peers(args.peers):
        print(
            "peers skipped: pass --peers /path/to/venv (or set CARBONBRIDGE_BENCH_PEERS), a venv "
            "holding akhil4n-orderbook and order-matching[polars]"
        )
        return
    peers: list[tuple[str, Callable[[list[Op], list[Op]], tuple[Seconds, int]], int]] = [
        ("akhil4n-orderbook 0.1.1", run_akhil4n, args.peer_ops),
        ("order-matching 0.12.0", run_order_matching, args.slow_ops),
    ]
    for name, fn, n in peers:
        prefix = stream[:n]
        try:
            peer_seconds, peer_traded = median_run(fn, prefill, prefix, 1)
        except ImportError as missing:
            print(f"  {name:<24} skipped: {missing}")
            continue
        our_seconds, our_traded = median_run(run_ours, prefill, prefix, args.runs)
        same = "equal" if peer_traded == our_traded else f"DIFFERENT (ours {our_traded:,})"
        print(
            f"  {name:<24} {rate(n, peer_seconds)}  (first {n:,} ops; units traded {peer_traded:,}, {same}); "
            f"ours on the same prefix {rate(n, our_seconds)}: "
            f"ours {peer_seconds[0] / our_seconds[0]:.1f}x faster "
            f"(CPU {peer_seconds[1] / our_seconds[1]:.1f}x)"
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
