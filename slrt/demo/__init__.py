"""`flask demo seed`: a living demo regency. Each feature adds its own step module here."""

import importlib
import importlib.util

# Steps run in order; a feature adds its module (with `seed(ctx: dict) -> None`) to this list.
STEPS = (
    "slrt.demo.foundation",
    "slrt.demo.directory",
    "slrt.demo.intake",
    "slrt.demo.dedup",
    "slrt.demo.dtsen",
    "slrt.demo.referrals",
    "slrt.demo.hard_cases",
    "slrt.demo.moves",  # after the referrals, before their letters are drawn
    "slrt.demo.letters",
    "slrt.demo.public",
    "slrt.demo.queue",
    "slrt.demo.privacy",
    "slrt.demo.reports",
    "slrt.demo.quality",
)


def run_steps() -> dict:
    ctx: dict = {}
    for name in STEPS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).seed(ctx)
    return ctx


def init_app(app):
    from slrt.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
