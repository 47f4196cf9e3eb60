"""`pack.toml`: a course pack (the book, a lecture series, an assignment, a site's own)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Pack(BaseModel):
    """`pack.toml`: a course pack, a folder with this file and one folder per task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="The pack's name: what `packs = [...]` in tutor.toml enables.",
                    examples=["fashion"])
    title: str = Field(description="Shown above its tasks in `tutor list`.", examples=["Fashion-MNIST week"])
    order: int = Field(0, description="Packs are listed by order, then id.", examples=[10])
    description: str = Field("", description="A sentence about the pack.",
                             examples=["Dense networks and a training script"])
    chapters: dict[str, str] = Field(
        {}, description="[chapters]: chapter number (a TOML key) to its title.", examples=[{"1": "Week 1 · Dense networks"}])

    def chapter_title(self, chapter: int) -> str:
        return self.chapters.get(str(chapter), f"Chapter {chapter}")
