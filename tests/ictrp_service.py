"""A GetTrialDetails answer for EUCTR2017-001400-29-FR, for the web-service tests.

The header (with its schema) and the footer are the real ones of registry-samples; no real
answer with a record is there, so the rows between them
(``data/ictrp/CONSTRUCTED_ws_rows_EUCTR2017-001400-29-FR.xml``) were written for these tests,
in the .NET DataSet diffgram form the schema describes, with the values of the real trial page
of the same trial.
"""

from __future__ import annotations

from pathlib import Path

from tests.registry_server import service_answer

ROWS = Path(__file__).parent / "data" / "ictrp" / "CONSTRUCTED_ws_rows_EUCTR2017-001400-29-FR.xml"


def answer() -> bytes:
    return service_answer(ROWS.read_text(encoding="utf-8"))
