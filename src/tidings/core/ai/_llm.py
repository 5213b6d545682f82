"""The LLM engine: any OpenAI-compatible ``/chat/completions`` endpoint.

The endpoint is chosen by the operator (often a local Ollama, vLLM or llama.cpp
server), so it is called directly with httpx rather than through the article
fetcher and its private-address guard. Timeouts, retries with backoff on 429/5xx
(honouring ``Retry-After``) and then an :class:`~tidings.core.errors.AIError` that
the page can show.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx

from tidings.core._endpoint import RETRY_STATUS, endpoint_client, wait_before_retry
from tidings.core.ai import prompts
from tidings.core.ai._base import EngineBase
from tidings.core.ai._text import estimate_tokens, looks_like_instructions, md_label
from tidings.core.ai._types import (
    NOT_ANSWERED,
    AIResult,
    ArticleDoc,
    Citation,
    Subject,
    article_sentences,
)
from tidings.core.ai.limits import TokenBudget
from tidings.core.errors import AIError, LLMResponseError, LLMUnavailableError

_CITE = re.compile(r"\[(\d+(?:\.\d+)?(?:\s*[,;]\s*\d+(?:\.\d+)?)*)\]")
_POINT = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*\S)\s*$")


class LLMEngine(EngineBase):
    """Abstractive features through an OpenAI-compatible chat-completions endpoint."""

    name = "llm"
    prompt_version = prompts.PROMPT_VERSION

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_wait: float = 30.0,
        max_input_tokens: int = 6000,
        max_output_tokens: int = 800,
        budget: TokenBudget | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model = model
        self.retries = retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.max_input_tokens = max_input_tokens
        self.max_output_tokens = max_output_tokens
        self.budget = budget
        self.sleep = sleep
        self._client = endpoint_client(api_key, timeout, transport)

    def close(self) -> None:
        self._client.close()

    # --- request building --------------------------------------------------

    def _blocks(self, subject: Subject) -> tuple[list[str], bool]:
        """Articles as delimited numbered sentences within the input token budget."""
        docs = [subject] if isinstance(subject, ArticleDoc) else list(subject)
        if not docs:
            raise AIError("nothing to analyse: the story has no articles", code="ai_empty")
        per_doc = max(200, self.max_input_tokens // len(docs))
        blocks: list[str] = []
        truncated = False
        for n, doc in enumerate(docs, start=1):
            kept: list[tuple[int, str]] = []
            used = estimate_tokens(doc.title) + 20
            for s in article_sentences(doc):
                if looks_like_instructions(s.text):
                    continue  # text addressing the model is not article content
                cost = estimate_tokens(s.text) + 3
                if used + cost > per_doc:
                    truncated = True
                    break
                kept.append((s.index, s.text))
                used += cost
            number = n if isinstance(subject, Sequence) else None
            blocks.append(prompts.article_block(doc.title, doc.source, kept, number=number))
        return blocks, truncated

    def _payload(self, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            "max_tokens": self.max_output_tokens,
            "stream": stream,
        }
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return payload

    def _prepare(
        self, feature: str, subject: Subject, question: str | None, language: str | None
    ) -> tuple[list[dict[str, str]], bool]:
        """The chat messages for a feature (and whether the input was truncated);
        raises AIBudgetExceededError when today's budget cannot cover the call."""
        blocks, truncated = self._blocks(subject)
        messages = prompts.messages(feature, blocks, question=question, language=language)
        estimate = sum(estimate_tokens(m["content"]) for m in messages)
        if self.budget is not None:
            self.budget.check(estimate + self.max_output_tokens)
        return messages, truncated

    # --- HTTP ----------------------------------------------------------------

    def _wait(self, attempt: int, response: httpx.Response | None) -> bool:
        """Sleep before retry ``attempt`` (0-based); False when retrying is pointless."""
        return wait_before_retry(
            attempt,
            response,
            retries=self.retries,
            backoff=self.backoff,
            max_wait=self.max_retry_wait,
            sleep=self.sleep,
        )

    def _fail(self, response: httpx.Response) -> LLMUnavailableError:
        detail = response.text[:200].strip()
        if response.status_code == 429:
            message = "the language model is rate limiting requests"
        elif response.status_code >= 500:
            message = f"the language model failed (HTTP {response.status_code})"
        else:
            message = f"the language model refused the request (HTTP {response.status_code})"
        return LLMUnavailableError(f"{message}: {detail}" if detail else message, url=self.url)

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response = self._client.post(self.url, json=payload)
            except httpx.TimeoutException as exc:
                if self._wait(attempt, None):
                    attempt += 1
                    continue
                raise LLMUnavailableError("the language model timed out", url=self.url) from exc
            except httpx.HTTPError as exc:
                if self._wait(attempt, None):
                    attempt += 1
                    continue
                msg = f"cannot reach the language model: {exc}"
                raise LLMUnavailableError(msg, url=self.url) from exc
            if response.status_code in RETRY_STATUS and self._wait(attempt, response):
                attempt += 1
                continue
            if response.status_code != 200:
                raise self._fail(response)
            try:
                data = response.json()
                if not isinstance(data, dict):
                    raise TypeError("not an object")
                return data
            except (ValueError, TypeError) as exc:
                msg = "the language model sent invalid JSON"
                raise LLMResponseError(msg, url=self.url) from exc

    def complete(self, messages: list[dict[str, str]]) -> tuple[str, int]:
        """One non-streaming chat completion: (content, tokens used)."""
        data = self._post(self._payload(messages, stream=False))
        try:
            content = data["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            msg = "the language model's answer has no message"
            raise LLMResponseError(msg, url=self.url) from exc
        usage = data.get("usage") or {}
        tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
        if not isinstance(tokens, int):
            tokens = sum(estimate_tokens(m["content"]) for m in messages) + estimate_tokens(content)
        return str(content), tokens

    def stream_completion(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """A streaming chat completion (server-sent events): yields content deltas.

        Retries happen only before the first byte of the answer; the tokens used are
        recorded on the budget when the stream ends.
        """
        payload = self._payload(messages, stream=True)
        attempt = 0
        produced: list[str] = []
        usage_tokens: int | None = None
        while True:
            try:
                with self._client.stream("POST", self.url, json=payload) as response:
                    if response.status_code in RETRY_STATUS and self._wait(attempt, response):
                        response.read()
                        attempt += 1
                        continue
                    if response.status_code != 200:
                        response.read()
                        raise self._fail(response)
                    for line in response.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        body = line[5:].strip()
                        if body == "[DONE]":
                            break
                        try:
                            event = json.loads(body)
                        except ValueError as exc:
                            msg = "bad event in the model's stream"
                            raise LLMResponseError(msg, url=self.url) from exc
                        if isinstance(event.get("error"), dict | str):
                            msg = f"the language model failed: {event['error']}"
                            raise LLMUnavailableError(msg, url=self.url)
                        usage = event.get("usage")
                        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
                            usage_tokens = usage["total_tokens"]
                        for choice in event.get("choices") or ():
                            piece = (choice.get("delta") or {}).get("content")
                            if piece:
                                produced.append(piece)
                                yield piece
                break
            except httpx.TimeoutException as exc:
                if not produced and self._wait(attempt, None):
                    attempt += 1
                    continue
                raise LLMUnavailableError("the language model timed out", url=self.url) from exc
            except httpx.HTTPError as exc:
                if not produced and self._wait(attempt, None):
                    attempt += 1
                    continue
                msg = f"the language model stream failed: {exc}"
                raise LLMUnavailableError(msg, url=self.url) from exc
        if self.budget is not None:
            if usage_tokens is None:
                prompt = sum(estimate_tokens(m["content"]) for m in messages)
                usage_tokens = prompt + estimate_tokens("".join(produced))
            self.budget.record(usage_tokens)

    # --- features ----------------------------------------------------------

    def _call(
        self,
        feature: str,
        subject: Subject,
        question: str | None = None,
        language: str | None = None,
    ) -> AIResult:
        messages, truncated = self._prepare(feature, subject, question, language)
        text, tokens = self.complete(messages)
        if self.budget is not None:
            self.budget.record(tokens)
        result = self.finish(feature, subject, text, question=question, language=language)
        return replace(result, meta={**result.meta, "tokens": tokens, "truncated": truncated})

    def summarize(self, article: ArticleDoc) -> AIResult:
        return self._call("summary", article)

    def key_points(self, article: ArticleDoc) -> AIResult:
        return self._call("key_points", article)

    def ask(self, article: ArticleDoc, question: str) -> AIResult:
        return self._call("ask", article, question=question)

    def brief(self, story: Sequence[ArticleDoc]) -> AIResult:
        return self._call("brief", list(story))

    def simplify(self, article: ArticleDoc) -> AIResult:
        return self._call("simplify", article)

    def translate(self, article: ArticleDoc, language: str) -> AIResult:
        return self._call("translate", article, language=language)

    def five_ws(self, article: ArticleDoc) -> AIResult:
        return self._call("five_ws", article)

    def stream(
        self,
        feature: str,
        subject: Subject,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> Iterator[str]:
        if feature == "brief" and isinstance(subject, ArticleDoc):
            subject = [subject]
        messages, _ = self._prepare(feature, subject, question, language)
        yield from self.stream_completion(messages)

    def finish(
        self,
        feature: str,
        subject: Subject,
        text: str,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> AIResult:
        """Parse model output: citations checked against the real sentences, list
        items as points, the not-in-article answer recognised."""
        docs = [subject] if isinstance(subject, ArticleDoc) else list(subject)
        story = feature == "brief" or not isinstance(subject, ArticleDoc)
        text = text.strip()
        if feature == "ask" and text.upper().startswith(prompts.NOT_IN_ARTICLE):
            return AIResult(
                feature, self.name, self.model, self.prompt_version, NOT_ANSWERED, answered=False
            )
        counts = [len(article_sentences(d)) for d in docs]
        citations: list[Citation] = []

        def replace(m: re.Match[str]) -> str:
            kept: list[str] = []
            for part in re.split(r"\s*[,;]\s*", m.group(1)):
                if "." in part:
                    a_s, s_s = part.split(".", 1)
                    a, s = int(a_s), int(s_s)
                elif story:
                    a, s = 1, int(part)
                    if len(docs) > 1:
                        continue  # ambiguous in a story: which article?
                else:
                    a, s = 1, int(part)
                if not (1 <= a <= len(docs) and 1 <= s <= counts[a - 1]):
                    continue  # a citation of a sentence that does not exist is dropped
                doc = docs[a - 1]
                if story:
                    citations.append(Citation(s, article_id=doc.id, source=doc.source))
                    kept.append(f"[{md_label(doc.source)}]({doc.url})")
                else:
                    citations.append(Citation(s))
                    kept.append(f"[{s}]")
            if not kept:
                return ""
            return f"({', '.join(kept)})" if story else "".join(kept)

        cleaned = _CITE.sub(replace, text) if feature != "translate" else text
        points = tuple(
            _CITE.sub("", m.group(1)).strip()
            for line in cleaned.splitlines()
            if (m := _POINT.match(line))
        )
        return AIResult(
            feature=feature,
            engine=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
            text=cleaned,
            points=points,
            citations=tuple(dict.fromkeys(citations)),
        )
