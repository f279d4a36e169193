"""The audit trail as an administrator reads it: each recorded action, object type and detail
key in words (both languages), the status change of a referral as "Rujukan: Sedang ditangani
→ Selesai", and a link to the object where it has a page.

The codes stay what is stored and searched; only their display lives here. Feature labels
(referral statuses, outcomes, roles) come from the shared template labels each feature
registers (slrt.core.web.add_labels), so this module imports no feature above accounts.
tests/test_audit_page.py fails when an action written anywhere in slrt has no label here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from slrt.core.audit import AuditEvent
from slrt.core.web import LABELS

ACTION_LABELS: dict[str, Any] = {
    "login.success": _l("Masuk berhasil"),
    "login.failed": _l("Masuk gagal: kata sandi salah"),
    "login.locked": _l("Masuk dikunci karena terlalu banyak percobaan"),
    "logout": _l("Keluar"),
    "session.expired": _l("Sesi berakhir karena tidak ada kegiatan"),
    "access.denied": _l("Akses ke halaman ditolak"),
    "api.denied": _l("Akses API ditolak"),
    "user.create": _l("Pengguna dibuat"),
    "user.update": _l("Pengguna diubah"),
    "user.activate": _l("Pengguna diaktifkan"),
    "user.deactivate": _l("Pengguna dinonaktifkan"),
    "user.sessions_ended": _l("Semua sesi pengguna diakhiri"),
    "user.password_change": _l("Kata sandi diganti oleh pemiliknya"),
    "token.create": _l("Token API dibuat"),
    "token.revoke": _l("Token API dicabut"),
    "case.create": _l("Kasus dicatat"),
    "case.online_report": _l("Laporan online diterima"),
    "case.close": _l("Kasus ditutup desk dengan alasan"),
    "need.close": _l("Kebutuhan ditutup desk dengan alasan"),
    "household.create": _l("Keluarga baru dibuat untuk anggota yang pindah"),
    "household.dtsen_check": _l("Hasil cek DTSEN dicatat"),
    "household.member_add": _l("Anggota keluarga ditambahkan"),
    "household.member_move": _l("Anggota keluarga dipindahkan ke keluarga lain"),
    "household.member_remove": _l("Anggota keluarga dikeluarkan dari keluarga"),
    "household.move_request": _l("Pindah wilayah: permintaan dikirim ke desk tujuan"),
    "household.move_accept": _l("Pindah wilayah: keluarga diterima desk tujuan"),
    "household.move_refuse": _l("Pindah wilayah: permintaan ditolak desk tujuan"),
    "household.move_cancel": _l("Pindah wilayah: permintaan dibatalkan"),
    "case.move": _l("Pindah wilayah: kasus ikut pindah ke desk tujuan"),
    "open311.request": _l("Laporan diterima lewat Open311"),
    "case.view": _l("Kasus dibuka"),
    "case.receipt_pdf": _l("Tanda terima dicetak"),
    "case.anonymise": _l("Kasus dianonimkan"),
    "person.view": _l("Data warga dibuka"),
    "person.update": _l("Data warga diubah"),
    "person.reveal_nik": _l("NIK ditampilkan lengkap"),
    "person.subject_export": _l("Data pribadi warga diunduh atas permintaannya"),
    "person.anonymise": _l("Data warga dianonimkan"),
    "person.merge": _l("Dua data warga digabung menjadi satu"),
    "person.merge_undo": _l("Penggabungan data warga dibatalkan"),
    "person.not_duplicate": _l("Dua data warga ditandai bukan orang yang sama"),
    "household.view": _l("Data keluarga dibuka"),
    "household.update": _l("Data keluarga diubah"),
    "household.reveal_kk_number": _l("No. KK ditampilkan lengkap"),
    "household.anonymise": _l("Data keluarga dianonimkan"),
    "attachment.view": _l("Lampiran dibuka"),
    "referral.draft": _l("Rujukan disiapkan"),
    "referral.transition": _l("Rujukan: status berubah"),
    "referral.note": _l("Catatan rujukan ditambahkan"),
    "referral.citizen_informed": _l("Warga sudah diberi tahu hasil rujukan"),
    "referral.view": _l("Rujukan dibuka"),
    "referral.list": _l("Daftar rujukan dibuka lewat API"),
    "referral.letter": _l("Surat rujukan dicetak"),
    "referral.breach": _l("Rujukan melewati batas waktu"),
    "referral.remind": _l("Pengingat rujukan dikirim ke lembaga"),
    "referral.remind_auto": _l("Pengingat otomatis dikirim: rujukan hampir jatuh tempo"),
    "referral.escalate": _l("Rujukan terlambat dieskalasi ke pimpinan lembaga"),
    "referral.resend_override": _l("Rujukan dikirim lagi ke lembaga yang pernah menolak"),
    "consent.give": _l("Persetujuan warga dicatat"),
    "consent.withdraw": _l("Persetujuan warga ditarik"),
    "erasure.request": _l("Permintaan penghapusan data diajukan"),
    "erasure.approve": _l("Permintaan penghapusan data disetujui"),
    "erasure.reject": _l("Permintaan penghapusan data ditolak"),
    "erasure.done": _l("Data dihapus atas permintaan warga"),
    "agency.create": _l("Lembaga ditambahkan"),
    "agency.update": _l("Lembaga diubah"),
    "office.update": _l("Kop surat kantor diubah"),
    "service.create": _l("Layanan ditambahkan"),
    "service.update": _l("Layanan diubah"),
    "routing_rule.save": _l("Aturan rujukan disimpan"),
    "routing_rule.delete": _l("Aturan rujukan dihapus"),
    "holiday.create": _l("Hari libur ditambahkan"),
    "holiday.delete": _l("Hari libur dihapus"),
    "report.export": _l("Laporan atau daftar diunduh"),
    "dtsen.import": _l("Data DTSEN diimpor"),
    "dtsen.import.batch": _l("Satu bagian impor DTSEN"),
    "dtsen.conflict.apply": _l("Baris DTSEN yang bermasalah diterapkan pada satu warga"),
    "dtsen.conflict.dismiss": _l("Baris DTSEN yang bermasalah diabaikan, dengan alasan"),
    "dtsen.proposals.export": _l("Daftar usulan DTSEN diunduh (berisi NIK)"),
    "keys.rotate": _l("Kunci enkripsi diganti"),
    "queue.issue": _l("Nomor antrean diberikan kepada pengunjung"),
    "queue.call": _l("Nomor antrean dipanggil ke loket"),
    "queue.status": _l("Status nomor antrean diubah"),
    "queue.ticket_pdf": _l("Tiket antrean dicetak"),
}

# The action filter: one choice per area (the search matches a prefix, so "login" finds every
# login.* row). Values are the prefixes, never a whole code.
ACTION_GROUPS: dict[str, Any] = {
    "login": _l("Masuk (berhasil, gagal, dikunci)"),
    "logout": _l("Keluar"),
    "session": _l("Sesi berakhir"),
    "access": _l("Akses halaman ditolak"),
    "api": _l("Akses API ditolak"),
    "user": _l("Pengguna"),
    "token": _l("Token API"),
    "case": _l("Kasus"),
    "need": _l("Kebutuhan"),
    "person": _l("Warga"),
    "household": _l("Keluarga"),
    "attachment": _l("Lampiran"),
    "referral": _l("Rujukan"),
    "consent": _l("Persetujuan warga"),
    "erasure": _l("Penghapusan data"),
    "agency": _l("Lembaga"),
    "office": _l("Kantor"),
    "service": _l("Layanan"),
    "routing_rule": _l("Aturan rujukan"),
    "holiday": _l("Hari libur"),
    "report": _l("Unduhan laporan"),
    "dtsen": _l("Impor DTSEN"),
    "keys": _l("Kunci enkripsi"),
    "open311": _l("Laporan lewat Open311"),
    "queue": _l("Antrean"),
}

# Object types as stored (table names): label, and the page that shows one (endpoint, argument).
OBJECT_TYPES: dict[str, tuple[Any, str | None, str | None]] = {
    "cases": (_l("Kasus"), "intake.case_detail", "case_id"),
    "persons": (_l("Warga"), "intake.person_detail", "person_id"),
    "households": (_l("Keluarga"), "intake.household_detail", "household_id"),
    "referrals": (_l("Rujukan"), "referrals.detail", "referral_id"),
    "attachments": (_l("Lampiran"), None, None),
    "users": (_l("Pengguna"), "accounts.user_edit", "user_id"),
    "api_tokens": (_l("Token API"), None, None),
    "agencies": (_l("Lembaga"), "directory.agency_edit", "agency_id"),
    "offices": (_l("Kantor"), "directory.office_edit", "office_id"),
    "services": (_l("Layanan"), "directory.service_detail", "service_id"),
    "routing_rules": (_l("Aturan rujukan"), None, None),
    "holidays": (_l("Hari libur"), None, None),
    "consents": (_l("Persetujuan"), None, None),
    "erasure_requests": (_l("Permintaan penghapusan"), None, None),
}

DETAIL_LABELS: dict[str, Any] = {
    "reason": _l("Alasan"),
    "outcome": _l("Hasil"),
    "agency": _l("Lembaga"),
    "agency_from": _l("Dari lembaga"),
    "agency_to": _l("Ke lembaga"),
    "fields": _l("Isian yang diubah"),
    "role": _l("Peran"),
    "scope": _l("Wilayah cakupan"),
    "active": _l("Aktif"),
    "service_account": _l("Akun integrasi"),
    "name": _l("Nama"),
    "days": _l("Berlaku (hari)"),
    "scopes": _l("Cakupan"),
    "owner": _l("Pemilik"),
    "type": _l("Jenis"),
    "urgent": _l("Prioritas"),
    "anonymous": _l("Tanpa identitas"),
    "duplicate_reason": _l("Alasan kasus ganda"),
    "status": _l("Kode HTTP"),
    "method": _l("Metode"),
    "path": _l("Alamat"),
    "username": _l("Nama pengguna"),
    "list": _l("Daftar"),
    "format": _l("Format"),
    "filters": _l("Filter"),
    "rows": _l("Baris"),
    "personal": _l("Berisi data pribadi"),
    "case": _l("Kasus"),
    "service": _l("Layanan"),
    "manual": _l("Ditambahkan manual"),
    "village": _l("Desa/kelurahan"),
    "person_id": _l("Warga"),
    "merged": _l("Data warga yang digabungkan"),
    "merge": _l("Penggabungan"),
    "other": _l("Data warga lainnya"),
    "why": _l("Sebab"),
    "kind": _l("Jenis"),
    "due": _l("Batas waktu"),
    "day": _l("Tanggal"),
    "region": _l("Wilayah"),
    "file": _l("Berkas"),
    "service_code": _l("Jenis kebutuhan"),
    "move": _l("Pindah wilayah"),
    "from": _l("Dari desa/kelurahan"),
    "to": _l("Ke desa/kelurahan"),
    "cases": _l("Kasus yang ikut pindah"),
}


@dataclass(frozen=True)
class AuditLine:
    """One audit row in words."""

    headline: str  # "Rujukan: Sedang ditangani → Selesai", or the action's label
    code: str | None  # the stored action code, shown small for searching; None when it is the headline
    object_label: str | None
    object_url: str | None
    details: list[tuple[str, str]]


def _labels(name: str) -> dict:
    return current_app.extensions.get(LABELS, {}).get(name, {})


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "", [], {}))
    if key == "role":
        return str(_labels("role").get(value, value))
    if key in ("outcome", "reason"):
        outcome = _labels("referral_outcome").get(value) or _labels("reject_reason").get(value)
        return str(outcome or value)
    return str(value)


def _status(value: Any) -> str:
    return str(_labels("referral_status").get(value, value))


def describe(event: AuditEvent) -> AuditLine:
    """The row as words: headline, object with its link, and each detail with its label."""
    detail = dict(event.detail or {})
    known = ACTION_LABELS.get(event.action)
    headline = str(known) if known is not None else event.action
    if event.action == "referral.transition" and "from" in detail and "to" in detail:
        headline = _(
            "Rujukan: %(before)s → %(after)s",
            before=_status(detail.pop("from")),
            after=_status(detail.pop("to")),
        )
    object_label = object_url = None
    if event.object_type:
        label, endpoint, arg = OBJECT_TYPES.get(event.object_type, (event.object_type, None, None))
        object_label = f"{label} #{event.object_id}" if event.object_id else str(label)
        if endpoint and arg and event.object_id and event.object_id.isdecimal():
            values: dict[str, Any] = {arg: int(event.object_id)}
            object_url = url_for(endpoint, **values)
    details = [
        (str(DETAIL_LABELS.get(key, key)), _value(key, value))
        for key, value in detail.items()
        if value not in (None, "", [], {})
    ]
    return AuditLine(headline, event.action if known is not None else None, object_label, object_url, details)


def action_choices(current: str | None) -> list[tuple[str, str]]:
    """The action filter's choices; a prefix typed into the URL by hand stays selectable."""
    choices = [("", _("Semua aksi"))] + [(k, str(v)) for k, v in ACTION_GROUPS.items()]
    if current and current not in ACTION_GROUPS:
        choices.append((current, current))
    return choices


def object_type_choices(current: str | None) -> list[tuple[str, str]]:
    choices = [("", _("Semua jenis data"))] + [(k, str(v[0])) for k, v in OBJECT_TYPES.items()]
    if current and current not in OBJECT_TYPES:
        choices.append((current, current))
    return choices
