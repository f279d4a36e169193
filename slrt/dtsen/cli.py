"""`flask dtsen import FILE.csv`: the DTSEN register into persons and households."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from slrt.dtsen import files, rows, run

dtsen_cli = AppGroup("dtsen", help="DTSEN (Data Tunggal Sosial Ekonomi Nasional) register.")


@dtsen_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where rejected rows go with their reasons (default FILE.rejected.csv).",
)
@click.option(
    "--batch-size",
    default=run.DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, 50_000),
    help="Rows per transaction.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar (for cron and logs).")
def import_(path: Path, rejects: Path | None, batch_size: int, no_progress: bool) -> None:
    """Import a DTSEN CSV (columns: nik,no_kk,nama,tanggal_lahir,jenis_kelamin,kode_desa,desil,program).

    Upserts households by No. KK and persons by NIK; importing the same file again changes nothing.
    """
    # Long on purpose: a command's options, the run, and its report printed line by line.
    total = files.count_rows(path)
    with click.progressbar(
        length=total, label=_("Impor DTSEN"), file=None if not no_progress else _Null(), show_pos=True
    ) as bar:
        try:
            counts = run.import_file(path, rejects, batch_size, on_progress=bar.update)
        except rows.BadHeader as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        _(
            "Dibaca %(read)d baris dalam %(sec).1f detik (%(rate)d baris/detik).",
            read=counts.read,
            sec=counts.seconds,
            rate=round(counts.rows_per_second),
        )
    )
    click.echo(
        _(
            "Warga: %(new)d baru, %(upd)d diperbarui, %(same)d tidak berubah.",
            new=counts.persons_inserted,
            upd=counts.persons_updated,
            same=counts.persons_unchanged,
        )
    )
    click.echo(
        _(
            "Keluarga: %(new)d baru, %(upd)d diperbarui, %(same)d tidak berubah.",
            new=counts.households_inserted,
            upd=counts.households_updated,
            same=counts.households_unchanged,
        )
    )
    click.echo(
        _(
            "Total berubah: %(changed)d. Ditolak: %(rejected)d.",
            changed=counts.changed,
            rejected=counts.rejected + counts.failed,
        )
    )
    if counts.conflicts:
        click.echo(
            _(
                "Menunggu keputusan koordinator: %(n)d baris cocok dengan lebih dari satu warga "
                "atau NIK-nya tercatat pada warga lain (halaman Konflik impor DTSEN).",
                n=counts.conflicts,
            )
        )
    if counts.rejected or counts.failed:
        click.echo(
            _(
                "Baris yang ditolak dan alasannya: %(path)s",
                path=rejects or files.default_rejects_path(path),
            )
        )
    for first, last, error in counts.failed_batches:
        click.echo(
            _(
                "GAGAL: baris %(first)d-%(last)d tidak disimpan (%(error)s).",
                first=first,
                last=last,
                error=error,
            ),
            err=True,
        )
    if counts.failed_batches:
        sys.exit(1)


class _Null(io.StringIO):
    """A file that swallows the progress bar."""

    def write(self, text: str) -> int:
        return len(text)
