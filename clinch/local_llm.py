"""A local chat model from a GGUF file, run by transformers on the CPU (`CLINCH_LLM=gguf:PATH`).

transformers de-quantizes the GGUF weights into a PyTorch model (it needs `gguf` and
`accelerate`), so no native build such as llama.cpp is needed. LangChain's `ChatHuggingFace`
over a `HuggingFacePipeline` makes it a chat model like any other; decoding is greedy, so the
same question gets the same draft.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

from leads.errors import ClinchError

GGUF_PREFIX = "gguf:"
MAX_NEW_TOKENS = 200


class LocalModelMissing(ClinchError):
    """CLINCH_LLM names a GGUF file that is not there."""


def open_gguf_chat_model(path: Path, *, max_new_tokens: int = MAX_NEW_TOKENS) -> BaseChatModel:
    """Load a GGUF chat model with transformers and wrap it as a LangChain chat model."""
    if not path.is_file() or path.suffix.lower() != ".gguf":
        raise LocalModelMissing(
            f"CLINCH_LLM=gguf:{path}: no .gguf file there; give the path of a GGUF model file"
        )
    # Imported here: transformers takes seconds to import, and only this path needs it.
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(  # type: ignore[no-untyped-call]
        path.parent, gguf_file=path.name
    )
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
    generate = pipeline(
        "text-generation",
        model=model,
        tokenizer=tokenizer,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        return_full_text=False,
    )
    llm = HuggingFacePipeline(pipeline=generate, model_id=str(path))
    chat: BaseChatModel = ChatHuggingFace(llm=llm, tokenizer=tokenizer, model_id=str(path))
    return chat
