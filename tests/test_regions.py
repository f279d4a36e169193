import sqlalchemy as sa

from slrt.extensions import db
from slrt.regions.models import Region
from slrt.regions.services import load_regions


def test_full_region_load_has_the_real_counts_and_is_idempotent(app):
    first = load_regions()
    assert first["provinces"] == 38
    assert first["regencies"] == 514
    assert 7200 <= first["districts"] <= 7300
    assert first["villages"] == 83762
    second = load_regions()
    assert second == first
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == sum(first.values())


def test_cli_region_load_reports_counts(runner):
    result = runner.invoke(args=["regions", "load"])
    assert result.exit_code == 0
    assert "38 provinces, 514 regencies" in result.output
    assert "83762 villages" in result.output


def test_picker_endpoints(client):
    provinces = client.get("/regions/children").get_json()
    assert len(provinces) == 38
    districts = client.get("/regions/children?parent=32.04").get_json()
    assert any(d["name"] == "Cileunyi" for d in districts)
    found = client.get("/regions/search?q=cileunyi kul&level=4").get_json()
    assert found[0]["code"] == "32.04.05.2001"
    assert [p["name"] for p in found[0]["path"]][:2] == ["Jawa Barat", "Kabupaten Bandung"]
    assert client.get("/regions/99.99").status_code == 404
