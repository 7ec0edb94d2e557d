"""Loaders turn each supported format into a Markdown LoadedDocument."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fpdf import FPDF

from ingestion.chunking import chunk_document
from ingestion.documents import LoadedDocument
from ingestion.loaders import SUPPORTED_EXTENSIONS, load_document
from ingestion.loaders.mdx import split_fences

MAX_BYTES = 10 * 1024 * 1024
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "railway" / "content"


def _load(path: Path, text: str) -> LoadedDocument:
    path.write_text(text, encoding="utf-8")
    return load_document(path, max_bytes=MAX_BYTES)


def _write_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    path.write_bytes(bytes(pdf.output()))
    return path


def test_supported_extensions_are_exported() -> None:
    assert set(SUPPORTED_EXTENSIONS) == {
        ".md", ".markdown", ".mdx", ".html", ".htm", ".pdf", ".txt",
    }  # fmt: skip


def test_markdown_front_matter_sets_title_url_and_visibility(tmp_path: Path) -> None:
    doc = _load(
        tmp_path / "plans.md",
        "---\ntitle: Pricing Plans\nurl: https://example.com/pricing\n"
        "visibility: internal\n---\n\n# Pricing Plans\n\nThe Hobby plan costs $5.\n",
    )
    assert doc.title == "Pricing Plans"
    assert doc.url == "https://example.com/pricing"
    assert doc.visibility == "internal"
    assert doc.kind == "markdown"
    assert "visibility" not in doc.text
    assert "The Hobby plan costs $5." in doc.text


def test_markdown_without_front_matter_takes_title_from_first_h1(tmp_path: Path) -> None:
    doc = _load(tmp_path / "a.markdown", "Intro line.\n\n```\n# not a title\n```\n\n# Real Title\n")
    assert doc.title == "Real Title"
    assert doc.url is None
    assert doc.visibility is None


def test_markdown_without_title_humanises_the_file_name(tmp_path: Path) -> None:
    doc = _load(tmp_path / "getting-started_guide.MD", "Just a paragraph.\n")
    assert doc.title == "Getting started guide"


def test_mdx_components_are_reduced_to_their_text(tmp_path: Path) -> None:
    source = """---
title: Setup
---
import { Callout } from "@/components/Callout";
export const meta = { draft: false };

# Setup

<Callout type="info">Inside text</Callout>

<Image
  src="x"
/>

<Collapse title="Install steps">
Run the installer.
</Collapse>

<PriorityBoardingBanner />

```jsx
import React from "react";
<Banner variant="info">Kept in code</Banner>
```
"""
    doc = _load(tmp_path / "setup.mdx", source)
    assert doc.title == "Setup"
    assert "Inside text" in doc.text
    assert "<Callout" not in doc.text
    assert "</Callout>" not in doc.text
    assert 'src="x"' not in doc.text
    assert "**Install steps**" in doc.text
    assert "Run the installer." in doc.text
    assert "PriorityBoardingBanner" not in doc.text
    prose = "".join(seg for is_code, seg in split_fences(doc.text) if not is_code)
    assert "<Image" not in prose
    assert "import" not in prose
    assert "export" not in prose
    code = "".join(seg for is_code, seg in split_fences(doc.text) if is_code)
    assert 'import React from "react";' in code
    assert '<Banner variant="info">Kept in code</Banner>' in code


def test_mdx_keeps_indented_component_content_as_prose(tmp_path: Path) -> None:
    source = (
        "<Steps>\n"
        '  <Step title="Open the page">\n'
        "    Go to the dashboard.\n\n"
        "    ```bash\n    railway up\n    ```\n"
        "  </Step>\n"
        "</Steps>\n"
    )
    doc = _load(tmp_path / "steps.md", source)
    assert "**Open the page**" in doc.text
    assert "\nGo to the dashboard." in doc.text
    assert "```bash\nrailway up\n```" in doc.text


def test_mdx_keeps_placeholders_and_code_literals(tmp_path: Path) -> None:
    source = (
        "Use `--service <SERVICE>` and `AsyncIterable<Uint8Array>`.\n\n"
        "<GraphQLCodeTabs\n  query={`query {\n      me {\n        id\n      }\n    }`}\n/>\n\n"
        "{/* an editor's note */}\n\n<!-- a hidden remark -->\n\n"
        'See <a href="https://railway.com" target="_blank">Railway</a>.\n'
    )
    doc = _load(tmp_path / "api.md", source)
    assert "`--service <SERVICE>`" in doc.text
    assert "`AsyncIterable<Uint8Array>`" in doc.text
    assert "```\nquery {\n  me {\n    id\n  }\n}\n```" in doc.text
    assert "editor's note" not in doc.text
    assert "hidden remark" not in doc.text
    assert "See [Railway](https://railway.com)." in doc.text


def test_html_keeps_content_and_drops_page_furniture(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><title>Pricing</title>
    <script>var tracking = 1;</script><style>p { color: red }</style></head>
    <body><nav><a href="/">Home</a> Menu</nav>
    <main><h1>Pricing</h1><p>Plans are <strong>simple</strong>.</p>
    <h2>Plans</h2>
    <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Hobby</td><td>$5</td></tr></table>
    <ul><li>Fast</li><li>Cheap</li></ul>
    <pre><code class="language-bash">railway up</code></pre></main>
    <footer>Copyright</footer></body></html>"""
    doc = _load(tmp_path / "pricing.html", html)
    assert doc.title == "Pricing"
    assert doc.kind == "html"
    for dropped in ("tracking", "color: red", "Menu", "Copyright"):
        assert dropped not in doc.text
    assert "## Plans" in doc.text
    assert "| Plan | Price |\n| --- | --- |\n| Hobby | $5 |" in doc.text
    assert "- Fast\n- Cheap" in doc.text
    assert "```bash\nrailway up\n```" in doc.text
    assert "Plans are **simple**." in doc.text


def test_html_table_lands_whole_in_one_chunk(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>Plan {i}</td><td>${i}</td></tr>" for i in range(5))
    html = f"<h1>Plans</h1><p>Intro.</p><table><tr><th>Plan</th><th>Price</th></tr>{rows}</table>"
    doc = _load(tmp_path / "plans.htm", html)
    chunks = chunk_document(doc, count_tokens=lambda s: len(s.split()))
    assert doc.title == "Plans"
    assert sum("| Plan 4 | $4 |" in chunk.text for chunk in chunks) == 1
    assert any("| Plan | Price |" in c.text and "| Plan 4 | $4 |" in c.text for c in chunks)


def test_pdf_pages_become_sections(tmp_path: Path) -> None:
    path = _write_pdf(
        tmp_path / "guide.pdf",
        ["First page about plans.", "Second page about usage billing."],
        title="Billing Guide",
    )
    doc = load_document(path, max_bytes=MAX_BYTES)
    assert doc.kind == "pdf"
    assert doc.title == "Billing Guide"
    assert "## Page 1\n\nFirst page about plans." in doc.text
    assert "## Page 2\n\nSecond page about usage billing." in doc.text
    chunks = chunk_document(doc, count_tokens=lambda s: len(s.split()))
    assert [c.heading_path for c in chunks] == [
        ("Billing Guide", "Page 1"),
        ("Billing Guide", "Page 2"),
    ]


def test_pdf_without_metadata_title_uses_first_line(tmp_path: Path) -> None:
    path = _write_pdf(tmp_path / "notes.pdf", ["Release Notes\nEverything changed."])
    assert load_document(path, max_bytes=MAX_BYTES).title == "Release Notes"


def test_text_file_title_and_paragraphs(tmp_path: Path) -> None:
    doc = _load(
        tmp_path / "faq.txt", "Support FAQ\r\n\r\n# of seats is unlimited.\r\n\r\nAsk us.\n"
    )
    assert doc.title == "Support FAQ"
    assert doc.kind == "text"
    assert doc.text == "Support FAQ\n\n\\# of seats is unlimited.\n\nAsk us."


def test_text_file_with_long_first_line_uses_file_name(tmp_path: Path) -> None:
    doc = _load(tmp_path / "release_notes.txt", "word " * 40 + "\n\nMore.")
    assert doc.title == "Release notes"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus/railway (not in the repo)")
def test_railway_corpus_loads_and_chunks_cleanly() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS)
    docs = [load_document(path, max_bytes=MAX_BYTES) for path in files]
    started = time.perf_counter()
    chunks = [
        chunk
        for doc in docs
        for chunk in chunk_document(doc, count_tokens=lambda s: len(s.split()), max_tokens=200)
    ]
    elapsed = time.perf_counter() - started
    leftovers = re.compile(r"<Image|^(?:import|export) ", re.MULTILINE)
    for chunk in chunks:
        assert chunk.text.strip()
        assert len(chunk.text.split()) <= 200
        prose = "".join(seg for is_code, seg in split_fences(chunk.text) if not is_code)
        assert not leftovers.search(prose), chunk.embed_text[:300]
    print(f"\n{len(files)} files -> {len(chunks)} chunks in {elapsed:.2f}s")
    assert len(docs) == len(files) > 0
