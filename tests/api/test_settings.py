"""Settings: grouped tuned weights, validation, and the generated reference in docs/."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.conftest import REPO
from veille.settings import Settings, reference


def test_the_settings_reference_in_docs_is_up_to_date() -> None:
    written = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert written == reference(), "docs/settings.md is stale: run `python -m scripts.write_settings_reference`"


def test_every_setting_is_described() -> None:
    undocumented = [line for line in reference().splitlines() if line.startswith("| `") and line.endswith("|  |")]
    assert not undocumented


def test_grouped_weights_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLE_READER__POOL", "40")
    monkeypatch.setenv("VEILLE_DIGEST__TOPIC_WEIGHT", "0.6")
    monkeypatch.setenv("VEILLE_DIGEST_DIR", "/tmp/briefs")  # a flat setting beside the `digest` group
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.reader.pool == 40 and s.digest.topic_weight == 0.6 and str(s.digests) == "/tmp/briefs"
    assert s.reader.w_terms == 0.25  # the others keep their defaults


@pytest.mark.parametrize(("name", "value"), [("VEILLE_EMBEDDING_RUNTIME", "gpu-magic"), ("VEILLE_DIGEST_LANG", "de"),
                                             ("VEILLE_READER__POOL", "0")])
def test_bad_values_are_refused_with_their_name(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert name.removeprefix("VEILLE_").lower().split("__")[0] in str(err.value)
