"""The need categories in the citizen's own words, for the public report form.

The desk's names ("Sanggah inklusi/eksklusi DTSEN", "RTLH", "NAPZA") are staff words; a citizen
choosing what to report reads these instead. Codes are the catalogue's (slrt/directory/data/
catalog.json); a category added there without a public label shows its desk name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from slrt.directory.models import NeedCategory

PUBLIC_NEED_LABELS = {
    "informasi": _l("Saya ingin bertanya atau meminta informasi"),
    "dtsen.daftar": _l(
        "Keluarga saya belum terdata sebagai calon penerima bantuan, atau datanya perlu diperbarui"
    ),
    "dtsen.sanggah": _l(
        "Keluarga saya seharusnya menerima bantuan tetapi tidak, atau ada penerima yang sebenarnya mampu"
    ),
    "bansos.penyaluran": _l("Bantuan sosial tidak sampai, terlambat, atau dipotong"),
    "pangan": _l("Kekurangan makanan"),
    "kesehatan.jaminan": _l("Tidak punya kartu berobat gratis (BPJS Kesehatan/KIS)"),
    "kesehatan.layanan": _l("Perlu berobat segera"),
    "pendidikan": _l("Biaya sekolah, atau anak berhenti sekolah"),
    "ibu_hamil_balita": _l("Ibu hamil, atau anak di bawah enam tahun"),
    "lansia": _l("Orang lanjut usia yang perlu bantuan atau tidak terurus"),
    "disabilitas": _l("Penyandang disabilitas yang perlu dukungan atau alat bantu"),
    "anak": _l("Anak yang tidak terurus, atau anak yang berurusan dengan polisi"),
    "kekerasan": _l("Kekerasan di rumah, terhadap perempuan atau anak, atau perdagangan orang"),
    "napza": _l("Kecanduan narkoba dan ingin berobat atau direhabilitasi"),
    "rumah": _l("Rumah rusak atau tidak layak ditinggali"),
    "adminduk": _l("Tidak punya KTP, Kartu Keluarga, atau akta kelahiran"),
    "ekonomi": _l("Perlu pekerjaan atau modal usaha"),
    "bencana": _l("Menjadi korban bencana"),
    "darurat": _l("Kebutuhan darurat lainnya"),
}


def public_label(category: NeedCategory) -> str:
    label = PUBLIC_NEED_LABELS.get(category.code)
    return str(label) if label is not None else category.display_name
