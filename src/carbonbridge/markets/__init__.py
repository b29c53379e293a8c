"""The markets context: carbon-sink auctions (``auctions``), an emissions-trading venue
(``trading``) and their settlement through the registry (``settlement``). Issue 14; today the
auctions' rules, the sealed-bid auction's service, API and CLI, and the trading venue's matching
engine and agreement modes as a pure core exist (``docs/markets.md``)."""
