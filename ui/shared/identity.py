"""Which browser is this? A random token in a first-party cookie: it survives reloads and is
shared by the tabs of one browser, while another browser (or a private window) gets its own.

The token itself never leaves this module except in the cookie; jobs and saved runs carry
``owner()``, a hash of it, so a ``meta.json`` that anyone can read reveals nothing usable.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import streamlit as st

COOKIE = "fms_browser"
_TOKEN = re.compile(r"[0-9a-f]{32}")
_SESSION_KEY = "browser_token"
_MAX_AGE_SECONDS = 180 * 24 * 3600

# Runs in the page (Components v2: no iframe), so the cookie belongs to the app's own origin.
# It only writes a cookie that is not there yet: a second tab opened at the same moment keeps the first's.
_SET_COOKIE_JS = """
export default function ({ data }) {
  const present = document.cookie.split("; ").some((pair) => pair.startsWith(data.name + "="));
  if (!present) {
    document.cookie = `${data.name}=${data.value}; path=/; max-age=${data.maxAge}; SameSite=Strict`;
  }
}
"""
_set_cookie = st.components.v2.component("fms_browser_cookie", js=_SET_COOKIE_JS)


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this session (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def browser_token() -> str:
    """This browser's token: the cookie's when the browser sent one, else a new one for this session."""
    token = st.session_state.get(_SESSION_KEY) or _cookie_token() or secrets.token_hex(16)
    st.session_state[_SESSION_KEY] = token
    return token


def ensure_cookie() -> None:
    """Give the browser its cookie if its first request came without one (called once per run by app.py)."""
    token = browser_token()
    if _cookie_token() != token:
        _set_cookie(data={"name": COOKIE, "value": token, "maxAge": _MAX_AGE_SECONDS}, key="fms_cookie", height=0)


def owner() -> str:
    """The id that jobs and saved runs of this browser carry: a hash of its token."""
    return owner_of(browser_token())


def owner_of(token: str) -> str:
    return hashlib.sha256(f"fashion-mnist-studio:{token}".encode()).hexdigest()[:24]
