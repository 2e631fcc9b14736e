"""tldextract must never reach the network nor write a cache, whatever the environment says."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from citecheck.clean.domains import registered_parts


def test_registered_parts() -> None:
    assert registered_parts("www.bbc.co.uk") == ("bbc", "co.uk")
    assert registered_parts("smile.amazon.de") == ("amazon", "de")
    assert registered_parts("localhost") == ("", "")
    assert registered_parts("xn--bcher-kva.de") == ("xn--bcher-kva", "de")


def test_lookups_are_offline_and_write_no_cache(tmp_path: Path) -> None:
    # A fresh interpreter, so that nothing is loaded yet; every socket use fails loudly, and the
    # cache locations tldextract would use point into tmp_path, which must stay empty.
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise AssertionError("network access attempted")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from citecheck import clean_url
        from citecheck.clean.domains import registered_parts

        assert registered_parts("www.amazon.co.jp") == ("amazon", "co.jp")
        out = clean_url("https://www.amazon.co.uk/dp/B000000000?tag=x-21")
        assert out == "https://www.amazon.co.uk/dp/B000000000", out
        print("ok")
        """
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TLDEXTRACT_CACHE": str(tmp_path / "tldcache"),
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "https://publicsuffix.invalid/list.dat",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert list(tmp_path.rglob("*")) == []
