"""Our registry's records in the form a CAD Trust node validates and accepts.

The commit of CAD Trust's public code base (github.com/Chia-Network/cadt) whose own validation
(Joi schemas in ``src/validations`` and the bundled picklists) the export is checked against, by
``tests/registry/test_cadt_validation.py``; ``docs/registry-compliance.md`` says how to run it.
"""

from __future__ import annotations

#: Chia-Network/cadt ``develop`` at 1.7.24 (data model v1 of the node's API, 10 Sep 2025)
CADT_VALIDATION_COMMIT = "171e6d636265c248a5893a0e9efad50dd2e4f12e"
#: the ``joi`` version that commit's package-lock.json pins
CADT_JOI_VERSION = "17.13.3"
