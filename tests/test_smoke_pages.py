import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/refer/"])
def test_public_pages_render(client, url):
    assert client.get(url).status_code == 200
