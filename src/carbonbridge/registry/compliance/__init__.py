"""The regional emissions-trading scheme (ETS): allowance allocation, compliance surrender
(allowances and offset credits) and compliance status."""
