"""HTML to PDF with WeasyPrint, offline by construction.

The printable templates carry their own styles and no images or links to fetch; the fetcher
below refuses every URL that is not inline (``data:``), so a stray ``<img src="https://…">``
in user-supplied text can neither slow a render down nor leak a request to another host.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO; only its warnings (e.g. a refused URL) matter here.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_CONTENT_TYPE = "application/pdf"


def _fetcher():
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """Serves ``data:`` URLs only; anything else is refused (and WeasyPrint skips it)."""

        def fetch(self, url, headers=None):
            if not str(url).startswith("data:"):
                log.warning("refused to fetch %r while rendering a PDF", str(url)[:200])
                raise ValueError(f"remote and file URLs are not fetched: {str(url)[:200]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document (with inline styles) to PDF bytes."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=_fetcher()).write_pdf()
