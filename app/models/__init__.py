"""All mapped classes, imported here so that Alembic and the app see one complete metadata."""

from app.models.audit import Audited, AuditEntry
from app.models.clients import BenefitType, Client, ClientPhaseRecord, TargetGroup
from app.models.procurement import (
    AwardCriterion,
    Bid,
    BidScore,
    BidSelection,
    Contract,
    ContractEvaluation,
    ContractStatus,
    ContractVersion,
    EvaluationKind,
    Lot,
    LotAward,
    Procedure,
    SelectionCriterion,
    Tender,
    Verdict,
)
from app.models.registers import (
    ExecutingBody,
    Gemeente,
    Provider,
    ProviderContact,
    ProviderStatus,
    QualityMark,
)
from app.models.users import Role, User, user_gemeente

__all__ = [
    "AuditEntry",
    "Audited",
    "AwardCriterion",
    "BenefitType",
    "Bid",
    "BidScore",
    "BidSelection",
    "Client",
    "ClientPhaseRecord",
    "Contract",
    "ContractEvaluation",
    "ContractStatus",
    "ContractVersion",
    "EvaluationKind",
    "ExecutingBody",
    "Gemeente",
    "Lot",
    "LotAward",
    "Procedure",
    "Provider",
    "ProviderContact",
    "ProviderStatus",
    "QualityMark",
    "Role",
    "SelectionCriterion",
    "TargetGroup",
    "Tender",
    "User",
    "Verdict",
    "user_gemeente",
]
