"""Auctions of credits and allowances: sealed-bid, single-round auctions under the EU, UK and RGGI
rule sets and pay-as-bid (``sealed``), their tie-breaking by a committed seed (``ties``) and the UK's
carry-forward of unsold volume (``carry``)."""
