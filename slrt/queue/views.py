"""Queue pages: the desk (give a number, call the next, end a ticket, open a case), the 80 mm
ticket, the desk home's queue panel, and the public display (numbers and desks, never names).

A desk works its own office's queue: the queue of `current_user.office`, today on the office's
clock. Tickets are loaded in the user's scope (slrt.core.access) and, to be moved, must belong
to the user's own office."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404
from slrt.core.audit import audit
from slrt.core.forms import EmptyForm, apply_errors
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.core.web import is_safe_next, no_store
from slrt.directory.models import Office
from slrt.extensions import db
from slrt.queue import services
from slrt.queue.forms import CallForm, FinishForm, IssueForm
from slrt.queue.models import QueueTicket, TicketStatus
from slrt.queue.ticket import ticket_pdf as draw_ticket

bp = Blueprint("queue", __name__, url_prefix="/antrean")
bp.after_request(no_store)
COUNTER_KEY = "queue_counter"  # the desk (loket) an officer last called to
PANEL_NEXT = 5  # the next numbers the desk home shows
DISPLAY_CALLED = 6  # the numbers called that the public display shows
DISPLAY_REFRESH_SECONDS = 10


def _queue() -> services.Queue | None:
    office = current_user.office
    return services.today_queue(office) if office is not None else None


def _own_ticket(ticket_id: int) -> QueueTicket:
    ticket = get_or_404(QueueTicket, ticket_id)
    if ticket.office_id != current_user.office_id:
        abort(404)  # another desk's visitor, even inside the region
    return ticket


def _back(default: str) -> Any:
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


def _desk(issue_form: IssueForm | None = None, status: int = 200) -> Any:
    queue = _queue()
    issued = None
    issued_id = request.args.get("tiket", "")
    if queue is not None and issued_id.isdecimal() and len(issued_id) < 10:
        issued = db.session.get(QueueTicket, int(issued_id))
        if issued is None or issued.office_id != queue.office.id:
            issued = None  # another office's ticket is not shown
    call_form = CallForm(formdata=None)
    call_form.counter.data = session.get(COUNTER_KEY, "1")
    return (
        render_template(
            "queue/desk.html",
            queue=queue,
            waiting=services.waiting(queue) if queue else [],
            called=services.called(queue, 20) if queue else [],
            issued=issued,
            issue_form=issue_form or IssueForm(formdata=None),
            call_form=call_form,
            finish_form=FinishForm(formdata=None),
            case_form=EmptyForm(formdata=None),
        ),
        status,
    )


@bp.route("/")
@requires(Permission.RUN_QUEUE)
def desk() -> Any:
    return _desk()


@bp.route("/nomor", methods=["POST"])
@requires(Permission.RUN_QUEUE)
def issue() -> Any:
    form = IssueForm()
    queue = _queue()
    if not form.validate_on_submit():
        abort(400)
    if queue is None:
        form.form_errors.append(
            _("Akun Anda belum terhubung ke kantor desk, jadi belum dapat memberi nomor.")
        )
        return _desk(form, 422)
    try:
        ticket = services.issue(
            queue,
            current_user,
            fast_track=form.fast_track.data,
            reason=form.reason.data or None,
            visitor_name=form.visitor_name.data,
        )
    except ValidationFailed as exc:
        discard()
        apply_errors(form, exc.errors)
        return _desk(form, 422)
    flash(_("Nomor %(number)s diberikan.", number=ticket.number), "success")
    return redirect(url_for("queue.desk", tiket=ticket.id))


@bp.route("/panggil", methods=["POST"])
@requires(Permission.RUN_QUEUE)
def call_next() -> Any:
    form = CallForm()
    queue = _queue()
    if not form.validate_on_submit() or queue is None:
        abort(400)
    counter = (form.counter.data or "").strip()[: services.COUNTER_MAX]
    session[COUNTER_KEY] = counter
    ticket = services.call_next(queue, current_user, counter)
    if ticket is None:
        flash(_("Tidak ada pengunjung yang menunggu."), "info")
    elif counter:
        flash(
            _("Nomor %(number)s dipanggil ke loket %(counter)s.", number=ticket.number, counter=counter),
            "success",
        )
    else:
        flash(_("Nomor %(number)s dipanggil.", number=ticket.number), "success")
    return _back(url_for("queue.desk"))


@bp.route("/<int:ticket_id>/selesai", methods=["POST"])
@requires(Permission.RUN_QUEUE)
def finish(ticket_id: int) -> Any:
    ticket = _own_ticket(ticket_id)
    form = FinishForm()
    if not form.validate_on_submit():
        abort(400)
    if form.outcome.data not in (TicketStatus.SERVED.value, TicketStatus.LEFT.value):
        abort(400, description=_("Pilih Dilayani atau Pergi."))
    try:
        services.transition(ticket, TicketStatus(form.outcome.data), current_user)
    except services.TransitionRefused:
        discard()
        flash(
            _("Status nomor %(number)s sudah berubah; lihat daftar terbaru.", number=ticket.number), "error"
        )
        return redirect(url_for("queue.desk"))
    flash(_("Nomor %(number)s: %(status)s.", number=ticket.number, status=ticket.status_label), "success")
    return redirect(url_for("queue.desk"))


@bp.route("/<int:ticket_id>/buka-kasus", methods=["POST"])
@requires(Permission.RUN_QUEUE)
def open_case(ticket_id: int) -> Any:
    ticket = _own_ticket(ticket_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.start_case(ticket, current_user)
    except services.TransitionRefused:
        discard()
        flash(_("Kasus hanya dibuka untuk nomor yang sedang dipanggil."), "error")
        return redirect(url_for("queue.desk"))
    return redirect(url_for("intake.new_case"))


@bp.route("/<int:ticket_id>/tiket.pdf")
@requires(Permission.RUN_QUEUE)
def ticket_pdf(ticket_id: int) -> Any:
    ticket = get_or_404(QueueTicket, ticket_id)
    audit("queue.ticket_pdf", ticket)
    pdf = draw_ticket(ticket, services.ahead_of(ticket))
    name = f"antrean-{ticket.day:%Y%m%d}-{ticket.number}.pdf"
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@bp.route("/ringkas")
@requires(Permission.RUN_QUEUE)
def home_panel() -> Any:
    """The desk home's queue panel, fetched by static/js/queue-panel.js (and again every few
    seconds): the home itself spends no statement on it."""
    queue = _queue()
    waiting = services.waiting(queue) if queue else []
    call_form = CallForm(formdata=None)
    call_form.counter.data = session.get(COUNTER_KEY, "1")
    return render_template(
        "queue/_home_panel.html",
        queue=queue,
        waiting=waiting,
        next_up=waiting[:PANEL_NEXT],
        call_form=call_form,
    )


@bp.route("/layar/<code>")
def display(code: str) -> Any:
    """The public display by the waiting chairs: the numbers called and their desks. No name,
    no reason, nothing personal: the page is open to anyone."""
    office = db.session.scalar(sa.select(Office).where(Office.code == code))
    if office is None:
        abort(404)
    queue = services.today_queue(office)
    called = services.called(queue, DISPLAY_CALLED)
    return render_template(
        "queue/display.html",
        office=office,
        queue=queue,
        current=called[0] if called else None,
        earlier=called[1:],
        waiting_count=services.waiting_count(queue),
        refresh=DISPLAY_REFRESH_SECONDS,
    )
