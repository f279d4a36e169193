"""The audit trail: who did what to which object, when, from where. Append-only: the ORM
refuses to update or delete an AuditEvent, and on PostgreSQL a trigger refuses UPDATE and
DELETE on audit_events whoever asks (migration 0009_security)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from slrt.core.db import utcnow
from slrt.extensions import Model, db


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)


def audit(
    action: str, obj: Any = None, *, actor: Any = None, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Adds an audit row to the current transaction (it commits or rolls back with the change)."""
    if hasattr(obj, "_get_current_object"):  # current_user is a proxy
        obj = obj._get_current_object()
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=getattr(obj, "__tablename__", None),
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None,
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or remove an audit row through the application."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditTrailIsAppendOnly(f"audit event {target.id} cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditTrailIsAppendOnly("audit events cannot be updated or deleted in bulk")
