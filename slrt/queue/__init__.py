"""The visitor queue (antrean) at a Puskesos or SLRT desk: a number for each visitor arriving
(fast-track numbers first), the 80 mm ticket, calling the next visitor, and a public display of
the numbers called (never a name)."""


def init_app(app):
    from slrt.core.web import add_labels
    from slrt.queue import models as m
    from slrt.queue.views import bp

    app.register_blueprint(bp)
    add_labels(app, ticket_status=m.TICKET_STATUS_LABELS, fast_track_reason=m.FAST_TRACK_REASON_LABELS)
