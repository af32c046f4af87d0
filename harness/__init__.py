"""What the tests and the benchmarks both need to meet the app as a visitor does, kept apart from both.

- ``serve``: ``streamlit run app.py`` started exactly as ``make run`` starts it (only the port differs);
- ``chromium``: Debian's Chromium for Playwright (never a downloaded browser) and waiting for a page's script;
- ``memory``: a process's resident memory, and its children's, read from /proc;
- ``classroom``: a classroom's worth of small real runs on disk.
- ``postgres``: a throw-away PostgreSQL server (Debian's binaries) for the database run store.

Why a package of its own: a benchmark importing tests/ would run pytest's fixtures' module (and break whenever
the suite is reorganised), and tests importing bench/ would tie the suite to measuring code. Both import this
instead; it imports core/ at most, never tests/, bench/, ui/ or the pages, and the app never imports it.
"""
