"""Self-contained HTML pages: figures embedded as PNG data URIs and the page around a body (no
scripts, fonts or external requests). Used by the client report and the calibration report."""

from __future__ import annotations

import base64
import html
import io

from matplotlib.figure import Figure


def embedded_png(fig: Figure, dpi: int = 120, alt: str = "chart") -> str:
    """The figure as an ``<img>`` whose source is its PNG as a data URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode()
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def html_page(title: str, style: str, body: str) -> str:
    """A whole HTML document: UTF-8, phone-width viewport, the inline ``style`` and ``body``."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{style}</style></head>"
            f"<body>{body}</body></html>")
