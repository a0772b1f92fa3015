"""cardcheck's service, one room per concern; dependencies point down this list.

``live.cli``        the ``cardcheck`` command: serve, demo, cards, decode, scan, export, roster.
``live.demo``       the demo class and the simulated classroom camera.
``live.http``       the Starlette app: API routes, bodies, tokens, headers, OpenAPI, TLS, pairing.
``live.rules``      the rule engine: metrics, rules (``rules.toml``), flags, grouping, the tick.
``live.reports``    reports, exports (CSV, XLSX, JSON, Canvas, OneRoster) and imports.
``live.realtime``   a frame's way to the dashboards: the pipeline, /ws/scan and /ws/live,
                    running sessions and their lifecycle, the bus (in-process or Redis Streams).
``live.store``      every SQL statement: the database, its migrations, and the records of
                    classes, the question library, sessions, flags, check-ins and reports.
``live.session``    the pure rules of one session: answers, states, snapshots per role.
``live.errors``, ``live.events``, ``live.settings``: the vocabulary every room shares.

``pyproject.toml`` states these layers as import-linter contracts, which ``make test`` checks.
"""

__version__ = "0.2.0"
