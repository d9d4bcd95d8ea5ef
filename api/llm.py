"""The optional answer-writing model, reached through llama-index's LLM classes.

One small interface (`LLM`) with the llama-index implementation for OpenAI-compatible servers
(vLLM, llama.cpp, LM Studio, OpenAI itself) and Ollama. Every provider failure becomes an
LLMError naming the server, so callers can fall back to the extractive answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from veille.errors import ConfigError, LLMError
from veille.settings import LLMSettings


class LLM(Protocol):
    """A chat model: one system message, one user message, text out."""

    name: str

    def complete(self, system: str, user: str) -> str:
        """The whole reply."""
        ...

    def stream(self, system: str, user: str) -> Iterator[str]:
        """The reply as it is generated."""
        ...


class LlamaIndexLLM:
    """Any llama-index LLM behind the `LLM` interface."""

    def __init__(self, llm: Any, name: str) -> None:
        self.llm = llm
        self.name = name

    def _messages(self, system: str, user: str) -> list[Any]:
        from llama_index.core.llms import ChatMessage, MessageRole
        return [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]

    def complete(self, system: str, user: str) -> str:
        """The whole reply; LLMError on any provider failure or an empty reply."""
        try:
            reply = self.llm.chat(self._messages(system, user))
        except Exception as exc:  # provider libraries raise their own trees (openai, httpx, ollama)
            raise LLMError(f"language model failed: {_describe(exc)}", source=self.name) from exc
        text = (reply.message.content or "").strip()
        if not text:
            raise LLMError("language model returned an empty reply", source=self.name)
        return text

    def stream(self, system: str, user: str) -> Iterator[str]:
        """Deltas as they arrive; LLMError if the stream fails."""
        try:
            for part in self.llm.stream_chat(self._messages(system, user)):
                if part.delta:
                    yield part.delta
        except Exception as exc:
            raise LLMError(f"language model failed while streaming: {_describe(exc)}", source=self.name) from exc


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


def make_llm(cfg: LLMSettings) -> LLM | None:
    """The configured model, or None when VEILLE_LLM__PROVIDER is 'none' (the default)."""
    if cfg.provider == "none":
        return None
    if not cfg.model:
        raise ConfigError("VEILLE_LLM__MODEL is required when an LLM provider is set", source="llm.model")
    if cfg.provider == "ollama":
        from llama_index.llms.ollama import Ollama
        base = cfg.base_url or "http://localhost:11434"
        # context_window given so the client does not ask the server for it (one request saved)
        return LlamaIndexLLM(Ollama(model=cfg.model, base_url=base, request_timeout=cfg.timeout,
                                    context_window=cfg.context_window),
                             name=f"ollama:{cfg.model}@{base}")
    if not cfg.base_url:
        raise ConfigError("VEILLE_LLM__BASE_URL is required for an OpenAI-compatible server", source="llm.base_url")
    from llama_index.llms.openai_like import OpenAILike
    llm = OpenAILike(model=cfg.model, api_base=cfg.base_url, api_key=cfg.api_key or "not-needed",
                     is_chat_model=True, timeout=cfg.timeout, max_retries=cfg.retries,
                     context_window=cfg.context_window)
    return LlamaIndexLLM(llm, name=f"openai-compatible:{cfg.model}@{cfg.base_url}")
