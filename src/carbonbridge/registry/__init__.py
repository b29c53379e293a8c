"""Registry: accounts, projects and their lifecycle, monitoring reports, issuance of whole-tonne
credits in serial blocks, transfers, retirements, cancellations, the buffer pool and reversals;
every state change logged with a receipt in the transparency log."""
