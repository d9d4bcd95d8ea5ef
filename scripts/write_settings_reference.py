"""Write docs/settings.md from the Settings class: python -m scripts.write_settings_reference."""

from __future__ import annotations

from pathlib import Path

from veille.settings import reference

TARGET = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def main() -> None:
    """Write the reference."""
    TARGET.write_text(reference(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
