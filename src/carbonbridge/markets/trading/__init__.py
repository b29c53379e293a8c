"""Trading: the continuous double auction's matching engine (``book``), a pure core with no store
and no clock; its domain types and events (``model``) and errors (``errors``)."""
