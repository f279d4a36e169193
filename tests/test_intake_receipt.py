"""The receipt PDF, as a citizen's phone sees it: printed code and a QR code to the status page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from slrt.core import tracking
from tests.factories import make_case


@pytest.mark.parametrize("size", ["a4", "80mm"])
def test_receipt_pdf_shows_the_code_and_a_qr_code_to_the_status_page(
    client, auth, world, app, tmp_path, size
):
    case = make_case(office=world.office_a)
    auth.login("desk.a")
    response = client.get(f"/cases/{case.id}/receipt.pdf?size={size}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert tracking.display(case.tracking_code) in text
    assert "Langkah selanjutnya" in text and "Kantor PKS-A" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "page")], check=True
    )
    image = Image.open(Path(tmp_path / "page.png"))
    if size == "80mm":
        assert image.width < image.height / 2  # a narrow roll, not an A4 page
    codes = zxingcpp.read_barcodes(image)
    expected = f"{app.config['PUBLIC_BASE_URL']}/status?code={case.tracking_code}"
    assert [c.text for c in codes] == [expected]


def test_receipt_pdf_of_another_village_is_404(client, auth, world):
    auth.login("desk.a")
    assert client.get(f"/cases/{world.case_b.id}/receipt.pdf").status_code == 404
    assert client.get(f"/cases/{world.case_a.id}/receipt.pdf?size=letter").status_code == 400


def test_the_80mm_receipt_is_one_strip_however_many_referrals_it_lists(world, tmp_path):
    from slrt.intake.receipt import ReferralLine, receipt_pdf

    case = make_case(office=world.office_a)
    lines = [
        ReferralLine(f"Layanan nomor {i}", "Dinas Sosial Kabupaten Bandung", "Terkirim") for i in range(1, 13)
    ]
    for referrals in ((), lines):
        pdf = tmp_path / "receipt.pdf"
        pdf.write_bytes(receipt_pdf(case, "80mm", referrals, officer="Rina Marlina"))
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M), info
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert all(f"Layanan nomor {i}" in text for i in range(1, len(referrals) + 1))
        assert "Simpan tanda terima ini" in text  # the last line is on the strip too
    width, height = (float(v) for v in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert round(width / 72 * 25.4) == 80 and height / 72 * 25.4 > 200  # longer than the shortest cut
