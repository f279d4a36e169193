"""The purpose text a citizen agrees to (UU PDP art. 20-22), versioned: every ConsentRecord keeps
the version it was given under, so a later change of wording never rewrites what someone agreed
to. Add a new version (and keep the old ones) when the wording or the purposes change."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CURRENT_VERSION = "2026-01"  # read out or shown at the desk (intake form)
ONLINE_VERSION = "lapor-2026-01"  # the list on the online report form (templates/public/report.html)

PURPOSE_TEXTS = {
    # Consents recorded before versioning (migration 0008): the wording then said the data serve
    # the desk's services and referrals, seen by the desk, the SLRT and receiving agencies.
    "sebelum-2026-01": _l(
        "Data dipakai untuk layanan dan rujukan, dilihat oleh desk, SLRT dan lembaga penerima "
        "rujukan, dan disimpan selama masa simpan yang berlaku (naskah sebelum Januari 2026)."
    ),
    "2026-01": _l(
        "Data Anda (identitas, keluarga, kebutuhan, termasuk data kesehatan, disabilitas dan anak) "
        "dipakai untuk melayani dan merujuk kebutuhan Anda. Data dilihat oleh petugas desk, SLRT "
        "kabupaten/kota dan lembaga penerima rujukan, disimpan selama 5 tahun setelah kasus "
        "selesai, lalu dianonimkan. Anda boleh melihat, membetulkan, meminta salinan, meminta "
        "penghapusan, dan menarik persetujuan kapan saja di desk."
    ),
    "lapor-2026-01": _l(
        "Tujuan: menangani laporan ini dan, bila Anda mencantumkan kontak, menghubungi Anda tentang "
        "laporan ini saja. Pengguna data: petugas Puskesos desa/kelurahan Anda dan SLRT Dinas Sosial "
        "kabupaten/kota; bila laporan dirujuk, lembaga penerima melihat isi laporan (identitas Anda "
        "tidak, bila memilih anonim). Penyimpanan: selama laporan diproses dan paling lama 5 tahun "
        "setelah selesai. Hak Anda: meminta salinan, perbaikan, atau penghapusan data melalui Puskesos."
    ),
}


def purpose_text(version: str = CURRENT_VERSION) -> str:
    return str(PURPOSE_TEXTS.get(version, PURPOSE_TEXTS[CURRENT_VERSION]))
