"""One Litestar controller per area of the API; each handler reads or appends through the injected ``Ledger``."""

from api.controllers.actors import ActorsController
from api.controllers.attachments import AttachmentsController
from api.controllers.complaints import ComplaintsController
from api.controllers.epcis import EpcisController
from api.controllers.events import EventsController
from api.controllers.problems import ProblemsController
from api.controllers.proofs import ProofsController
from api.controllers.ratings import RatingsController
from api.controllers.risks import RisksController
from api.controllers.sanctions import SanctionsController
from api.controllers.subjects import SubjectsController
from api.controllers.tiles import TilesController
from api.controllers.trace import TraceController

CONTROLLERS = (
    EventsController,
    SubjectsController,
    TraceController,
    ActorsController,
    AttachmentsController,
    ProofsController,
    TilesController,
    RisksController,
    ComplaintsController,
    RatingsController,
    SanctionsController,
    EpcisController,
    ProblemsController,
)

__all__ = ["CONTROLLERS"]
