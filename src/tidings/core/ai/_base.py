"""Feature dispatch shared by both engines."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tidings.core.ai._types import FEATURES, STORY_FEATURES, AIResult, ArticleDoc, Subject
from tidings.core.errors import AIError


class EngineBase:
    """Dispatch by feature name; subclasses implement the feature methods."""

    name: str = ""
    model: str = ""
    prompt_version: str = ""
    #: The features this engine does (the others raise ``LLMNotConfiguredError``).
    features: frozenset[str] = frozenset(FEATURES)

    def summarize(self, article: ArticleDoc) -> AIResult:
        raise NotImplementedError

    def key_points(self, article: ArticleDoc) -> AIResult:
        raise NotImplementedError

    def ask(self, article: ArticleDoc, question: str) -> AIResult:
        raise NotImplementedError

    def brief(self, story: Sequence[ArticleDoc]) -> AIResult:
        raise NotImplementedError

    def simplify(self, article: ArticleDoc) -> AIResult:
        raise NotImplementedError

    def translate(self, article: ArticleDoc, language: str) -> AIResult:
        raise NotImplementedError

    def five_ws(self, article: ArticleDoc) -> AIResult:
        raise NotImplementedError

    def run(
        self,
        feature: str,
        subject: Subject,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> AIResult:
        if feature not in FEATURES:
            raise AIError(f"unknown AI feature {feature!r}", code="ai_unknown_feature")
        if feature in STORY_FEATURES:
            story = [subject] if isinstance(subject, ArticleDoc) else list(subject)
            return self.brief(story)
        if not isinstance(subject, ArticleDoc):
            raise AIError(f"feature {feature!r} takes one article", code="ai_bad_subject")
        if feature == "summary":
            return self.summarize(subject)
        if feature == "key_points":
            return self.key_points(subject)
        if feature == "ask":
            if not question or not question.strip():
                raise AIError("ask needs a question", code="ai_no_question")
            return self.ask(subject, question)
        if feature == "translate":
            if not language:
                raise AIError("translate needs a target language", code="ai_no_language")
            return self.translate(subject, language)
        if feature == "simplify":
            return self.simplify(subject)
        return self.five_ws(subject)

    def stream(
        self,
        feature: str,
        subject: Subject,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> Iterator[str]:
        """Default: compute the whole result and yield its text once."""
        yield self.run(feature, subject, question=question, language=language).text

    def finish(
        self,
        feature: str,
        subject: Subject,
        text: str,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> AIResult:
        """Default: recompute (cheap for the built-in engine)."""
        return self.run(feature, subject, question=question, language=language)
