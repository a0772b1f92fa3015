"""The database schema, as migrations versioned in code.

``MIGRATIONS[i]`` takes a database from ``PRAGMA user_version`` i to i + 1. Migrations only ever
append; a released one is never edited.

Student names are personal data and live in exactly one column, ``students.name``: every other
table refers to a student by id, and the event log carries ids and card numbers only, so purging
a student (or a class) deletes every trace of the name.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE classes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  REAL NOT NULL,
    archived_at REAL,
    rules       TEXT            -- per-class rule overrides (TOML), NULL for the defaults
);

CREATE TABLE students (
    id          INTEGER PRIMARY KEY,
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    card        INTEGER CHECK (card IS NULL OR card >= 1),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  REAL NOT NULL
);
CREATE UNIQUE INDEX students_card ON students(class_id, card) WHERE active = 1 AND card IS NOT NULL;
CREATE INDEX students_class ON students(class_id);

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    colour      TEXT NOT NULL,
    goal        TEXT NOT NULL DEFAULT '',
    skill       TEXT,               -- the skill tag the goal is about, for progress metrics
    created_at  REAL NOT NULL,
    archived_at REAL
);
CREATE UNIQUE INDEX groups_name ON groups(class_id, name) WHERE archived_at IS NULL;

-- who was in which group when: a row per stay, left_at NULL while it lasts
CREATE TABLE group_members (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    student_id  INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    joined_at   REAL NOT NULL,
    left_at     REAL,
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE UNIQUE INDEX group_members_current ON group_members(student_id) WHERE left_at IS NULL;
CREATE INDEX group_members_group ON group_members(group_id);

-- learning goals agreed with a group, oldest first; groups.goal mirrors the newest
CREATE TABLE goals (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    skill       TEXT,
    set_at      REAL NOT NULL,
    achieved_at REAL
);

CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    prompt      TEXT NOT NULL CHECK (length(prompt) BETWEEN 1 AND 2000),
    choices     TEXT NOT NULL,      -- JSON list of 2 to 4 texts, A first
    correct     TEXT CHECK (correct IS NULL OR correct IN ('A', 'B', 'C', 'D')),
    skills      TEXT NOT NULL DEFAULT '[]',   -- JSON list of tags
    image       BLOB,
    image_type  TEXT,
    created_at  REAL NOT NULL,
    archived_at REAL
);

CREATE TABLE question_sets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  REAL NOT NULL
);

CREATE TABLE question_set_items (
    set_id      INTEGER NOT NULL REFERENCES question_sets(id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (set_id, position)
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    set_id      INTEGER REFERENCES question_sets(id) ON DELETE SET NULL,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    show_names  INTEGER NOT NULL DEFAULT 1 CHECK (show_names IN (0, 1)),
    seq         INTEGER NOT NULL DEFAULT 0     -- seq of the newest event in the log
);
CREATE INDEX sessions_class ON sessions(class_id);

-- a question as asked in a session
CREATE TABLE asked (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES questions(id),
    number      INTEGER NOT NULL,   -- 1, 2, ... within the session
    correct     TEXT,               -- the key when asked (the question may be edited later)
    opened_at   REAL NOT NULL,
    closed_at   REAL,
    revealed_at REAL
);
CREATE INDEX asked_session ON asked(session_id);

-- the latest answer of each student to each asked question
CREATE TABLE responses (
    asked_id    INTEGER NOT NULL REFERENCES asked(id) ON DELETE CASCADE,
    student_id  INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('A', 'B', 'C', 'D')),
    card        INTEGER,
    source      TEXT NOT NULL CHECK (source IN ('scan', 'manual')),
    first_at    REAL NOT NULL,
    updated_at  REAL NOT NULL,
    changes     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (asked_id, student_id)
);

-- every answer ever recorded, oldest first
CREATE TABLE response_history (
    id          INTEGER PRIMARY KEY,
    asked_id    INTEGER NOT NULL REFERENCES asked(id) ON DELETE CASCADE,
    student_id  INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    answer      TEXT NOT NULL,
    previous    TEXT,
    source      TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX response_history_asked ON response_history(asked_id, student_id);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    group_id    INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    student_id  INTEGER REFERENCES students(id) ON DELETE CASCADE,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    message     TEXT NOT NULL,
    evidence    TEXT NOT NULL DEFAULT '{}',    -- JSON
    raised_at   REAL NOT NULL,
    updated_at  REAL NOT NULL,
    resolved_at REAL,
    resolution  TEXT
);
CREATE INDEX flags_session ON flags(session_id);

CREATE TABLE checkins (
    id          INTEGER PRIMARY KEY,
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    session_id  INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    note        TEXT NOT NULL DEFAULT '',
    goal        TEXT NOT NULL DEFAULT '',
    next_step   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checkins_group ON checkins(group_id);

-- the ordered log of each session's events; seq rises by one per session
CREATE TABLE events (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,      -- JSON; ids and card numbers only, never names
    at          REAL NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""

# what a flag asks of the teacher: a call to check in, or a note that the group is doing well
# (the two default rules that were notes of progress become notes)
_V2 = """
ALTER TABLE flags ADD COLUMN action TEXT NOT NULL DEFAULT 'check-in'
    CHECK (action IN ('check-in', 'acknowledge'));
UPDATE flags SET action = 'acknowledge' WHERE rule IN ('accuracy-70-90', 'accuracy-above-90');
"""

# Sessions are explicit (no page follows "the newest running session"): each class has a live
# session the teacher puts on its projector; a session whose server stopped is interrupted until
# the teacher resumes or ends it; the servers sharing this file say they are alive, so that a
# server starting next to a running one does not interrupt that one's sessions.
_V3 = """
ALTER TABLE classes ADD COLUMN live_session INTEGER REFERENCES sessions(id) ON DELETE SET NULL;

ALTER TABLE sessions ADD COLUMN interrupted_at REAL;

CREATE TABLE servers (
    id          TEXT PRIMARY KEY,   -- random, one per running process
    host        TEXT NOT NULL,      -- the machine it runs on, and its process id there
    pid         INTEGER NOT NULL,
    started_at  REAL NOT NULL,
    seen_at     REAL NOT NULL       -- the process's last heartbeat
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)
