"""`/docs` works offline: the page references only assets the product itself serves."""

from __future__ import annotations

import re

from tests.conftest import Api


def test_swagger_ui_loads_everything_from_the_product(api: Api) -> None:
    with api.client() as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        references += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
        assert len(references) >= 3, page.text
        for reference in references:
            # Nothing from another host: no CDN, no scheme-relative URL.
            assert reference.startswith("/") and not reference.startswith("//"), reference
        kinds = {}
        for reference in references:
            reply = client.get(reference)
            assert reply.status_code == 200, reference
            kinds[reference.rsplit(".", 1)[-1]] = reply
        assert "SwaggerUIBundle" in kinds["js"].text and "javascript" in kinds["js"].headers["content-type"]
        assert ".swagger-ui" in kinds["css"].text and "text/css" in kinds["css"].headers["content-type"]
        assert kinds["json"].json()["info"]["title"] == "entryphone"
        assert client.get("/redoc").status_code == 404  # not offered: it would need a CDN
