"""`pack.toml`: a course pack (the book, a lecture series, an assignment, a site's own)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    order: int = 0
    description: str = ""
    # Chapter number (as a string key in TOML) to its title.
    chapters: dict[str, str] = {}

    def chapter_title(self, chapter: int) -> str:
        return self.chapters.get(str(chapter), f"Chapter {chapter}")
