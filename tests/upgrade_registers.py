"""The register answers that the upgrade fixture (tests/data/upgrade/) was made from, served
again the same way by the test that upgrades it: real records of CT.gov, EUCTR and ICTRP."""

from __future__ import annotations

from pathlib import Path

from tests.registry_server import RegistryState, load_study

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "upgrade" / "watcher-9204710.db"

# What the fixture watches: (trial ID, adapter).
WATCHED = [
    ("NCT04267848", "ctgov"),
    ("EUCTR2022-002568-62-ES", "euctr"),
    ("EUCTR2017-001400-29-FR", "ictrp"),
    ("NCT04280705", "ictrp"),  # the real Trial2.aspx page, read differently since
]


def state() -> RegistryState:
    """The registers as they answered when the fixture was made."""
    return RegistryState(
        studies={"NCT04267848": load_study()},
        euctr_download=(
            DATA / "euctr" / "euctr_fulltext_download_2022-002568-62_2021-002179-21_10records.txt"
        ).read_text(encoding="utf-8"),
        ictrp_pages={
            "EUCTR2017-001400-29-FR": (
                DATA / "ictrp" / "ictrp-trial-page-text_EUCTR2017-001400-29-FR.txt"
            ).read_bytes(),
            "NCT04280705": (DATA / "ictrp" / "ictrp_trial_page_NCT04280705.html").read_bytes(),
        },
    )
