"""The markets context: carbon-sink auctions (``auctions``), an emissions-trading venue
(``trading``) and their settlement through the registry (``settlement``). Issue 14; today only
the sealed-bid auctions' rules exist (``auctions.sealed``)."""
