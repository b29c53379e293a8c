"""The trading venue's domain errors (each with a section in ``docs/errors.md``)."""

from __future__ import annotations

from carbonbridge.kernel.errors import Conflict, InvalidInput, NotFound


class InvalidBookRules(InvalidInput):
    """The day's book cannot open with these rules (a tick, lot or previous close under one, a
    price limit outside 0-100 %, limits with no tick between them); nothing was created."""

    code = "markets-invalid-book-rules"
    title_en = "Invalid order-book rules"
    title_zh = "订单簿规则无效"


class InvalidOrder(InvalidInput):
    """An order or a modification breaks the book's rules (price off the tick or outside the day's
    limits, quantity not a whole number of lots or over the cap, a market order that is not IOC or
    FOK …); the issue names the field, the value and the reason; the book is unchanged."""

    code = "markets-invalid-order"
    title_en = "Invalid order"
    title_zh = "委托无效"


class DuplicateOrder(Conflict):
    """An order id already used in this book; the book is unchanged."""

    code = "markets-duplicate-order"
    title_en = "Order id already used"
    title_zh = "委托编号重复"


class UnknownOrder(NotFound):
    """A cancel or modify names an order that is not resting in the book (never entered, filled,
    or already cancelled); the book is unchanged."""

    code = "markets-unknown-order"
    title_en = "No such resting order"
    title_zh = "无此挂单"


class TakeRefused(Conflict):
    """A take (摘牌) of a listed-agreement order that the board's state does not allow: the taker's
    own listing, a listing outside the best five price levels of its side, or more units than it
    has open; nothing traded."""

    code = "markets-take-refused"
    title_en = "Take refused"
    title_zh = "摘牌不被接受"
