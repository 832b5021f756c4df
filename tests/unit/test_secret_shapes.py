"""Every credential shape the scanner and the docs index refuse, and look-alikes they keep.

Samples are built at run time from pieces, so this file holds no credential-shaped text itself
(the project indexes its own repository, and secret scanners read it too).
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from services.workspace_files.secret_shapes import SHAPES, holds_secret

README = Path(__file__).resolve().parents[2] / "README.md"
ALNUM = string.ascii_letters + string.digits


def chars(count: int, alphabet: str = ALNUM) -> str:
    """`count` characters cycling through `alphabet` from a point that mixes cases and digits."""
    return "".join(alphabet[(7 * i + 3) % len(alphabet)] for i in range(count))


def armour(kind: str) -> str:
    return "-----BEGIN " + kind + "-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END " + kind + "-----\n"


SAMPLES = {
    "private key block": [armour("PRIVATE " + "KEY"), armour("RSA PRIVATE " + "KEY"),
                          armour("OPENSSH PRIVATE " + "KEY"), armour("EC PRIVATE " + "KEY"),
                          armour("ENCRYPTED PRIVATE " + "KEY"),
                          armour("PGP PRIVATE " + "KEY BLOCK")],
    "AWS access key id (AKIA, ASIA)": ["AK" + "IA" + chars(16, string.ascii_uppercase + "27"),
                                       "AS" + "IA" + chars(16, string.ascii_uppercase + "35")],
    "Azure storage account key": [
        "DefaultEndpointsProtocol=https;AccountName=shop;Account" + "Key="
        + chars(86, ALNUM + "+/") + "==;EndpointSuffix=core.windows.net"],
    "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)": [
        f"gh{kind}_" + chars(36) for kind in "pousr"],
    "GitHub fine-grained token (github_pat_)": [
        "github" + "_pat_" + chars(22) + "_" + chars(59)],
    "GitLab token (glpat-)": ["gl" + "pat-" + chars(20, ALNUM + "_-")],
    "Slack token (xoxa-, xoxb-, xoxe-, xoxp-, xoxr-, xoxs-)": [
        f"xo{'x'}{kind}-" + "1234567890-" + chars(24) for kind in "abeprs"],
    "Slack webhook URL": [
        "https://hooks.slack" + ".com/services/T" + chars(8, string.ascii_uppercase)
        + "/B" + chars(8, string.digits + "XYZ") + "/" + chars(24)],
    "OpenAI key (sk-proj-, sk-svcacct-, sk-admin-, sk-)": [
        "sk-" + "proj-" + chars(120, ALNUM + "_-"), "sk-" + "svcacct-" + chars(60, ALNUM + "_-"),
        "sk-" + "admin-" + chars(60, ALNUM + "_-"), "sk-" + chars(48)],
    "Anthropic key (sk-ant-)": ["sk-" + "ant-api03-" + chars(93, ALNUM + "_-") + "AA"],
    "Google API key (AIza)": ["AI" + "za" + chars(35, ALNUM + "_-")],
    "Google OAuth client secret (GOCSPX-)": ["GOC" + "SPX-" + chars(28, ALNUM + "_-")],
    "Stripe live secret or restricted key (sk_live_, rk_live_)": [
        "sk_" + "live_" + chars(24), "rk_" + "live_" + chars(99)],
    "npm token (npm_)": ["np" + "m_" + chars(36)],
    "PyPI token (pypi-AgE)": ["pypi-" + "AgEIcHlwaS5vcmc" + chars(150, ALNUM + "_-")],
    "SendGrid key (SG.)": ["S" + "G." + chars(22, ALNUM + "_-") + "." + chars(43, ALNUM + "_-")],
    "Shopify token (shpat_, shpca_, shppa_, shpss_)": [
        f"shp{kind}_" + chars(32, string.hexdigits) for kind in ("at", "ca", "pa", "ss")],
    "DigitalOcean token (dop_v1_, doo_v1_, dor_v1_)": [
        f"do{kind}_" + "v1_" + chars(64, "0123456789abcdef") for kind in "opr"],
}

# Text a project holds for good reasons, next to the shapes above: none of it is a credential.
NEAR_MISSES = {
    "AKIA in prose": "Set AKIA keys and a PRIVATE KEY in the vault; rotate ASIA ids hourly.",
    "key id too short": "AK" + "IA" + "A" * 15,
    "key id in a longer word": "x" + "AK" + "IA" + "A" * 16,
    "key id too long": "AK" + "IA" + "A" * 17,
    "public key": armour("PUBLIC KEY"),
    "certificate": armour("CERTIFICATE"),
    "GitHub token too short": "gh" + "p_" + chars(20),
    "GitHub prefix in a word": "weigh" + "s_" + chars(40),
    "fine-grained token too short": "github" + "_pat_" + chars(30),
    "Slack token too short": "xo" + "xb-short",
    "sk- and a dashed name": "sk-learn-compatible-transformers-for-pipelines-everywhere",
    "sk- inside a word": "task-" + chars(40, "0123456789abcdef"),
    "sk- too short": "sk-short",
    "Stripe test key": "sk_" + "test_" + chars(24),
    "Google key too short": "AI" + "za" + chars(20),
    "npm setting": "npm_" + "config_registry_url_for_the_private_scope",
    "SendGrid-like version": "SG.1.2 is the release after SG.1.1",
    "PyPI word": "pypi-" + "upload is the name of the job",
    "Shopify prefix, not hex": "shp" + "at_" + "g" * 32,
    "Azure key too short": "Account" + "Key=" + chars(40) + "==",
    "a plain hash": "sha256:" + chars(64, "0123456789abcdef"),
}


def samples() -> list[tuple[str, str]]:
    return [(name, sample) for name, found in SAMPLES.items() for sample in found]


def test_every_shape_has_samples_and_nothing_else_does():
    assert set(SAMPLES) == {shape.name for shape in SHAPES}


@pytest.mark.parametrize("name, sample", samples(), ids=[s[:24] for _, s in samples()])
def test_every_shape_is_found_where_it_stands(name, sample):
    (shape,) = [shape for shape in SHAPES if shape.name == name]
    for text in (sample, f'TOKEN = "{sample}"\n', f"key: {sample}", f"caf\u00e9 {sample} end"):
        assert shape.found_in(text), text
        assert holds_secret(text), text


@pytest.mark.parametrize("text", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_look_alikes_are_not_credentials(text):
    assert not holds_secret(text)


def test_the_readme_names_every_shape_it_promises():
    # The Scan bullet is the list users read; each shape's anchors must appear in it.
    (scan,) = [part for part in README.read_text(encoding="utf-8").split("\n- ")
               if part.startswith("**Scan**")]
    missing = [anchor for shape in SHAPES for anchor in shape.anchors if anchor not in scan]
    assert not missing
