"""Configuration from the environment."""
import pytest

from api.config import ConfigError, load_config, parse_api_keys


def test_defaults(tmp_path):
    c = load_config({}, instance_path=tmp_path)
    assert c["OCMS_DATABASE_URL"] == f"sqlite:///{tmp_path / 'ocms.db'}"
    assert c["OCMS_RULES_DIR"].endswith("/rules") and c["OCMS_FIXTURES_DIR"].endswith("/fixtures")
    assert c["OCMS_API_KEYS"] == {} and c["OCMS_JWT_SECRET"] is None
    assert c["OCMS_RULES_CHECK_INTERVAL"] == 1.0 and c["OCMS_LOG_LEVEL"] == "INFO"
    assert c["OCMS_REPORT_DIR"] == str(tmp_path / "reports")


def test_environment_wins():
    c = load_config({"OCMS_DATABASE_URL": "postgresql://x/y", "OCMS_API_KEYS": "cas:a, plus:b",
                     "OCMS_RULES_CHECK_INTERVAL": "2.5", "OCMS_LOG_LEVEL": "debug"})
    assert c["OCMS_DATABASE_URL"] == "postgresql://x/y"
    assert c["OCMS_API_KEYS"] == {"cas": "a", "plus": "b"}
    assert c["OCMS_RULES_CHECK_INTERVAL"] == 2.5 and c["OCMS_LOG_LEVEL"] == "DEBUG"


@pytest.mark.parametrize("raw", ["nobody:k", "cas", "cas:", "cassecretvalue"])
def test_bad_api_keys_are_refused(raw):
    with pytest.raises(ConfigError):
        parse_api_keys(raw)


def test_malformed_entry_is_not_echoed():
    with pytest.raises(ConfigError) as e:
        parse_api_keys("cas:ok,supersecretvalue")
    assert "supersecretvalue" not in str(e.value)
