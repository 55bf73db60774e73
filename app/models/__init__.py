"""All mapped classes, imported here so that Alembic and the app see one complete metadata."""

from app.models.audit import Audited, AuditEntry
from app.models.clients import BenefitType, Client, ClientPhaseRecord, TargetGroup
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
    "BenefitType",
    "Client",
    "ClientPhaseRecord",
    "ExecutingBody",
    "Gemeente",
    "Provider",
    "ProviderContact",
    "ProviderStatus",
    "QualityMark",
    "Role",
    "TargetGroup",
    "User",
    "user_gemeente",
]
