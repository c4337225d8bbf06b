"""Draw tuichat/assets/Cons.png, the Console avatar: a dark terminal tile with a green ``>_``."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUTPUT = Path(__file__).resolve().parent.parent / "tuichat" / "assets" / "Cons.png"
SIDE = 32
CELL = 4  # the client shows avatars as 8x8 pixel art, so every shape sits on a 4x4 grid
BEZEL = (96, 104, 120, 255)
SCREEN = (24, 26, 32, 255)
PROMPT = (80, 250, 123, 255)
GLYPH = (  # the ">_" prompt on the 8x8 grid
    "........",
    ".#......",
    "..#.....",
    "...#....",
    "..#.....",
    ".#..###.",
    "........",
    "........",
)


def draw() -> Image.Image:
    """The avatar: a tile with one-cell notched corners, a thin bezel and the prompt."""
    image = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    near, far, edge = CELL, SIDE - CELL - 1, SIDE - 1
    outline = [
        (near, 0), (far, 0), (far, near), (edge, near), (edge, far), (far, far),
        (far, edge), (near, edge), (near, far), (0, far), (0, near), (near, near),
    ]  # fmt: skip
    pen.polygon(outline, fill=SCREEN, outline=BEZEL)
    for row, line in enumerate(GLYPH):
        for col, mark in enumerate(line):
            if mark == "#":
                x, y = col * CELL, row * CELL
                pen.rectangle((x, y, x + CELL - 1, y + CELL - 1), fill=PROMPT)
    return image


def main() -> None:
    """Write the avatar to the package's assets."""
    draw().save(OUTPUT, "PNG", optimize=True)


if __name__ == "__main__":
    main()
